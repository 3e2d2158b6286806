import { DomainError, DomainErrorCode } from './domain-error.js';

/**
 * The one keyset cursor of (timestamp, id) lists: base64url of `[iso, id]`. Decoding checks what
 * the SQL will do with it: a canonical ISO timestamp (what JavaScript's Date.parse accepts is far
 * wider than what PostgreSQL's timestamptz accepts) and an id of id characters, so a forged
 * cursor is a 400, never a database error.
 */
export interface KeysetPosition {
  at: string;
  id: string;
}

const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export function encodeKeysetCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

export function decodeKeysetCursor(cursor: string): KeysetPosition {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [at, id] = parsed as unknown[];
      if (typeof at === 'string' && typeof id === 'string' && CANONICAL_ISO.test(at) && ID.test(id)) {
        const time = Date.parse(at);
        // Round-trips exactly: a real instant between years 1 and 9999.
        if (!Number.isNaN(time) && new Date(time).toISOString() === at && !at.startsWith('0000')) return { at, id };
      }
    }
  } catch {
    /* fall through */
  }
  throw invalidCursor();
}

/** A numeric (sequence) cursor within PostgreSQL bigint. */
export function decodeSequenceCursor(cursor: string): string {
  if (/^\d{1,19}$/.test(cursor) && (cursor.length < 19 || cursor <= '9223372036854775807')) return cursor;
  throw invalidCursor();
}

const invalidCursor = () => new DomainError(DomainErrorCode.InvalidInput, 'cursor is not valid; pass next_cursor from the previous page');
