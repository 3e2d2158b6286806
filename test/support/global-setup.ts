import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BUILT = join(ROOT, 'dist', 'console', 'index.html');
/** What the console build reads: its own folder, the generated API types, the locked dependencies. */
const SOURCES = [join(ROOT, 'console'), join(ROOT, 'client', 'schema.d.ts'), join(ROOT, 'package-lock.json')];

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newest(join(path, name))), s.mtimeMs);
}

/**
 * The service serves dist/console at /console (src/web-console), so the browser tests need the
 * console built: build it once when it is missing or older than its sources (a clean clone).
 */
function ensureConsoleBuilt(): void {
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= Math.max(...SOURCES.filter(existsSync).map(newest))) return;
  execFileSync('npm', ['run', '--silent', 'build:console'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
}

/** Runs once before all test files. Per-file databases are made by `test/support/database.ts`. */
export default function setup(): void {
  process.env.TZ = 'UTC';
  ensureConsoleBuilt();
}
