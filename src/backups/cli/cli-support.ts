import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { trustedKey } from '../backup-format.js';

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
