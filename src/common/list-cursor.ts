import { decodeKeysetCursor, encodeKeysetCursor } from './keyset-cursor.js';

/** Keyset position (created_at, id): stable while rows are added, cheap on any page. */
export interface ListPosition {
  createdAt: string;
  id: string;
}

export const encodeCursor = (p: ListPosition): string => encodeKeysetCursor(p.createdAt, p.id);

export function decodeCursor(cursor: string): ListPosition {
  const { at, id } = decodeKeysetCursor(cursor);
  return { createdAt: at, id };
}
