import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseIdentityFile, trustedKey } from '../backup-format.js';

/** `--public-key KEY`: a file, or the key itself (PEM, base64 of PEM/DER, raw 32 bytes). */
export function publicKeyOption(option: string | undefined): KeyObject | undefined {
  if (option === undefined) return undefined;
  const text = existsSync(option) && statSync(option).isFile() ? readFileSync(option, 'utf8') : option;
  return trustedKey(text);
}

/** One line on stderr, never a stack trace: the messages carry no values. */
export function fail(tool: string, message: string, code: number): never {
  process.stderr.write(`${tool}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(code);
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses argv for one of the backup tools: `--help` prints the usage and exits 0, a malformed
 * command line prints the message and the usage and exits 2.
 */
export function parseCommandLine<O extends Options>(tool: string, usage: string, options: O) {
  try {
    const parsed = parseArgs({ allowPositionals: true, strict: true, options: { help: { type: 'boolean', short: 'h' }, ...options } });
    if ((parsed.values as { help?: boolean }).help) {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    return parsed;
  } catch (e) {
    return usageError(tool, usage, (e as Error).message);
  }
}

export function usageError(tool: string, usage: string, message: string): never {
  process.stderr.write(`${tool}: ${message}\n${usage}\n`);
  process.exit(2);
}

/** `--identity KEYFILE`: the age identities in the file; an unreadable or malformed file is a usage error. */
export function identitiesOption(tool: string, path: string): string[] {
  try {
    return parseIdentityFile(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(tool, `--identity: ${code ? `cannot read ${path} (${code})` : (e as Error).message}`, 2);
  }
}
