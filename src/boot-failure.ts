import { ConfigError } from './config/index.js';
import { DatabaseUnreachableError } from './database/database-preflight.js';

/** sysexits(3): the process manager tells "fix the settings" (78) from "try again later" (69). */
export const EXIT_CONFIG = 78;
export const EXIT_UNAVAILABLE = 69;
export const EXIT_SOFTWARE = 1;

export interface BootFailure {
  exitCode: number;
  msg: string;
}

/** What stopped the boot, as one line an operator can act on, and the exit code that goes with it. */
export function describeBootFailure(e: unknown): BootFailure {
  if (e instanceof ConfigError) return { exitCode: EXIT_CONFIG, msg: `configuration error: ${e.message}` };
  if (e instanceof DatabaseUnreachableError) return { exitCode: EXIT_UNAVAILABLE, msg: e.message };
  const err = e as { code?: string; syscall?: string; address?: string; port?: number; path?: string; message?: string } | undefined;
  if (err?.syscall === 'listen' || err?.code === 'EADDRINUSE' || err?.code === 'EADDRNOTAVAIL') {
    const where = err.address !== undefined ? `${err.address}:${err.port}` : 'HOST:PORT';
    return { exitCode: EXIT_CONFIG, msg: `configuration error: cannot listen on ${where} (HOST, PORT): ${err.code}` };
  }
  // A file the boot cannot create or open: the embedded database under DATA_DIR.
  if (err?.path && ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'ENOSPC'].includes(err.code ?? '')) {
    return { exitCode: EXIT_CONFIG, msg: `configuration error: cannot use ${err.path} (DATA_DIR): ${err.code}` };
  }
  return { exitCode: EXIT_SOFTWARE, msg: `failed to start: ${firstLine(err?.message ?? String(e))}` };
}

/** Writes the boot failure as one JSON log line (stderr) and exits with its code. */
export function exitWithBootFailure(e: unknown, write: (line: string) => void = (l) => process.stderr.write(l)): never {
  const { exitCode, msg } = describeBootFailure(e);
  write(`${JSON.stringify({ level: 'fatal', time: new Date().toISOString(), pid: process.pid, msg, exitCode })}\n`);
  process.exit(exitCode);
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0]!.slice(0, 500);
}
