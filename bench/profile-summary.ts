/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile`): self time by function and by
 * package / source folder; `--last S` keeps the final S seconds only; `--callers fn` shows the call chains (6 frames) that spend time in fn.
 *   node --import @swc-node/register/esm-register bench/profile-summary.ts <file.cpuprofile> [top] [--last seconds] [--callers fn]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const argv = process.argv.slice(2);
const opt = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const callersOf = opt('--callers');
const lastSeconds = opt('--last') === undefined ? undefined : Number(opt('--last'));
const [file, topArg] = argv.filter((a, i) => !a.startsWith('--') && !['--callers', '--last'].includes(argv[i - 1] ?? ''));
if (!file) {
  console.error('usage: bench/profile-summary.ts <file.cpuprofile> [top] [--callers <functionName>]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
// --last S: only samples from the final S seconds (e.g. the load window before the process stopped).
const from = lastSeconds === undefined ? -Infinity : p.endTime - lastSeconds * 1e6;
const selfUs = new Map<number, number>();
let at = p.startTime;
for (let i = 0; i < p.samples.length; i++) {
  at += p.timeDeltas[i] ?? 0;
  if (at >= from) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

function area(url: string): string {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = url.indexOf('/dist/src/');
  if (src !== -1) return `strongroom:${url.slice(src + '/dist/src/'.length).split('/')[0]}`;
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '');
}

const fnTotals = new Map<string, number>();
const areaTotals = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const f = n.callFrame;
  const key = `${f.functionName || '(anonymous)'}  ${area(f.url)}:${f.lineNumber + 1}`;
  fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
  const a = f.url ? area(f.url) : f.functionName.startsWith('(') ? f.functionName : '(native/vm)';
  areaTotals.set(a, (areaTotals.get(a) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled over ${((p.endTime - p.startTime) / 1e6).toFixed(2)} s\n\nself time by area:`);
for (const [a, us] of [...areaTotals].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${a}`);
console.log('\nself time by function:');
for (const [k, us] of [...fnTotals].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${k}`);

if (callersOf) {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const chains = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName !== callersOf) continue;
    const frames: string[] = [];
    for (let cur = parent.get(id); cur !== undefined && frames.length < Number(process.env.DEPTH ?? 6); cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      frames.push(`${f.functionName || '(anon)'}@${area(f.url)}:${f.lineNumber + 1}`);
    }
    const key = frames.join(' < ');
    chains.set(key, (chains.get(key) ?? 0) + us);
  }
  console.log(`\ncallers of ${callersOf}:`);
  for (const [k, us] of [...chains].sort((x, y) => y[1] - x[1]).slice(0, 12)) console.log(`  ${pct(us)}  ${k}`);
}
