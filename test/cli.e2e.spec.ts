import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = process.cwd();
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Runs a command; resolves to its exit code and output whatever the code. */
async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await exec(cmd, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The CLIs the built image runs with plain node: compiled by the build, no loader. */
const COMPILED = {
  'audit:verify': 'src/audit/cli/audit-verify.cli.js',
  'report:verify': 'src/reports/cli/report-verify.cli.js',
  'migration:run': 'src/database/migrate.cli.js',
  'backup:verify': 'src/backups/cli/backup-verify.cli.js',
  'backup:restore': 'src/backups/cli/backup-restore.cli.js',
  'backup:drill': 'src/backups/cli/backup-drill.cli.js',
} as const;

describe('command-line tools', () => {
  // The build (tsconfig.build.json) into a scratch directory inside the repository, so the
  // compiled files resolve node_modules and "type": "module" as dist/ does, without touching dist/.
  let out: string;
  beforeAll(async () => {
    out = mkdtempSync(join(ROOT, '.cli-build-'));
    const built = await run(process.execPath, [
      'node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', out, '--tsBuildInfoFile', join(out, '.tsbuildinfo'),
    ]);
    expect(built.stdout + built.stderr).toBe('');
  }, 600_000);
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it.each(Object.entries(COMPILED))('%s: the npm script runs the compiled CLI, and --help prints usage, exit 0', { timeout: 120_000 }, async (script, file) => {
    expect(pkg.scripts[script]).toContain(`dist/${file}`);
    expect(pkg.scripts[script]).not.toMatch(/swc|\.ts\b/);
    const help = await run(process.execPath, [join(out, file), '--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^usage: npm run /);
  });

  it.each(Object.values(COMPILED))('%s imports no dev dependency (the image has none)', (file) => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (path: string) => {
      if (seen.has(path)) return;
      seen.add(path);
      const text = readFileSync(path, 'utf8');
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) {
          const next = resolve(dirname(path), spec);
          if (existsSync(next)) visit(next);
        } else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
          packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        }
      }
    };
    visit(join(out, file));
    expect(seen.size).toBeGreaterThan(1);
    expect([...packages].filter((p) => p in pkg.devDependencies)).toEqual([]);
  });

  it.each(['token', 'migration:generate'])('%s --help prints usage, exit 0 (development tools)', { timeout: 120_000 }, async (script) => {
    const help = await run('npm', ['run', '-s', script, '--', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run /);
  });

  it('token refuses in production and says why', { timeout: 120_000 }, async () => {
    const refused = await run('npm', ['run', '-s', 'token', '--', '--role', 'admin'], { NODE_ENV: 'production' });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim()).toBe(
      'token: refusing to mint a token: NODE_ENV=production. Production tokens come from your identity provider (JWT_JWKS_URI), never from a shared secret on a workstation.',
    );
  });
});
