import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The module graph of src/, read from the import specifiers of every file (TypeScript's own
 * pre-processor: static, type-only, re-export and dynamic imports alike). Two rules:
 * - infrastructure never imports a feature (nor the composition root, which imports them all);
 * - no two folders import each other.
 * The composition root (src/*.ts, src/composition/) and process entry points (`*.cli.ts`, each
 * a root of its own) may import anything.
 */

/** Lower layer: knows no feature. The audit *writer* (audit-log) is here; the audit feature is not. */
const INFRASTRUCTURE = ['auth', 'audit-log', 'clock', 'common', 'config', 'crypto', 'database', 'health', 'http', 'metrics', 'tls', 'vault', 'web-console'];
const FEATURES = ['alerts', 'audit', 'backups', 'incidents', 'integrity', 'jobs', 'policies', 'reports', 'rotation', 'secrets', 'tasks'];
const COMPOSITION = 'composition';

/**
 * Two-way dependencies not yet removed, each with its reason (none left: secrets asks rotation's
 * rules through its RotatorRules port, secrets/rotator-rules.ts).
 */
const KNOWN_TWO_WAY = new Set<string>([]);

const SRC = resolve(import.meta.dirname, '..', 'src');

interface Edge {
  from: string;
  to: string;
  file: string;
  specifier: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The top-level folder under src/ of a path, or the composition root for src/*.ts. */
function folderOf(path: string): string {
  const parts = relative(SRC, path).split(sep);
  return parts.length === 1 ? COMPOSITION : parts[0]!;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    if (file.endsWith('.cli.ts')) continue;
    const from = folderOf(file);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: specifier } of info.importedFiles) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      if (relative(SRC, target).startsWith('..')) continue;
      const to = folderOf(target);
      if (to !== from) out.push({ from, to, file: relative(SRC, file), specifier });
    }
  }
  return out;
}

const describeEdge = (e: Edge) => `${e.from} -> ${e.to}: src/${e.file} imports '${e.specifier}'`;

describe('architecture (imports under src/)', () => {
  const all = edges();

  it('finds the imports it checks (the scan itself works)', () => {
    expect(all.some((e) => e.from === 'secrets' && e.to === 'crypto')).toBe(true);
    expect(all.some((e) => e.from === COMPOSITION && e.to === 'secrets')).toBe(true);
  });

  it('puts every folder of src/ in a layer', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    const unplaced = folders.filter((f) => f !== COMPOSITION && !INFRASTRUCTURE.includes(f) && !FEATURES.includes(f));
    expect(unplaced, 'add the new folder to INFRASTRUCTURE or FEATURES').toEqual([]);
  });

  it('never imports a feature (or the composition root) from infrastructure', () => {
    const upward = all.filter((e) => INFRASTRUCTURE.includes(e.from) && (FEATURES.includes(e.to) || e.to === COMPOSITION));
    expect(upward.map(describeEdge)).toEqual([]);
  });

  it("uses another folder's entities as types only: no repository of them, no writes (one owner per table)", () => {
    const valueImports: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = folderOf(file);
      if (from === COMPOSITION) continue;
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/^import\s+(type\s+)?\{([^}]*)\}\s+from\s+'([^']+\.entity\.js)';/gm)) {
        const [, wholeType, names, specifier] = m;
        const target = resolve(dirname(file), specifier!);
        if (folderOf(target) === from || wholeType) continue;
        const values = names!.split(',').map((n) => n.trim()).filter((n) => n && !n.startsWith('type '));
        if (values.length > 0) valueImports.push(`src/${relative(SRC, file)} imports ${values.join(', ')} from '${specifier}'`);
      }
    }
    expect(valueImports).toEqual([]);
  });

  it('has no two folders importing each other', () => {
    const pairs = new Set(all.map((e) => `${e.from}->${e.to}`));
    const twoWay = [...pairs]
      .map((p) => p.split('->') as [string, string])
      .filter(([a, b]) => a < b && pairs.has(`${b}->${a}`))
      .map(([a, b]) => `${a}<->${b}`)
      .filter((pair) => !KNOWN_TWO_WAY.has(pair));
    const detail = twoWay.flatMap((pair) => {
      const [a, b] = pair.split('<->');
      return all.filter((e) => (e.from === a && e.to === b) || (e.from === b && e.to === a)).map(describeEdge);
    });
    expect(twoWay, detail.join('\n')).toEqual([]);
  });

  it('never imports the API consumers (client/, cli/) from the service', () => {
    const ROOT = resolve(SRC, '..');
    const consumers = ['client', 'cli'].map((d) => join(ROOT, d) + sep);
    const found = sourceFiles(SRC).flatMap((file) =>
      ts
        .preProcessFile(readFileSync(file, 'utf8'), true, true)
        .importedFiles.filter(({ fileName }) => fileName.startsWith('.') && consumers.some((c) => resolve(dirname(file), fileName).startsWith(c)))
        .map(({ fileName }) => `src/${relative(SRC, file)} imports '${fileName}'`),
    );
    expect(found).toEqual([]);
  });

  it('still has each known two-way dependency (remove it from the list once it is gone)', () => {
    const pairs = new Set(all.map((e) => `${e.from}->${e.to}`));
    for (const pair of KNOWN_TWO_WAY) {
      const [a, b] = pair.split('<->');
      expect(pairs.has(`${a}->${b}`) && pairs.has(`${b}->${a}`), pair).toBe(true);
    }
  });
});
