import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../config/index.js';

/** Reads a PEM file named by a setting; a missing or unreadable file is a one-line ConfigError. */
export function readPemFile(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'unreadable';
    throw new ConfigError(`${variable}: cannot read ${path} (${code})`);
  }
}

/** Identity of a file's current content for change detection (mtime, size, inode); '' when missing. */
export function fileStamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return '';
  }
}
