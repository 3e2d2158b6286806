import { DomainError, DomainErrorCode } from '../common/domain-error.js';

/** Keyset position (created_at, id): stable while rows are added, cheap on any page. */
export interface ListPosition {
  createdAt: string;
  id: string;
}

export function encodeCursor(p: ListPosition): string {
  return Buffer.from(JSON.stringify([p.createdAt, p.id])).toString('base64url');
}

export function decodeCursor(cursor: string): ListPosition {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(createdAt))) {
      return { createdAt, id };
    }
  } catch {
    /* fall through */
  }
  throw new DomainError(DomainErrorCode.InvalidInput, 'cursor is not valid; pass next_cursor from the previous page');
}
