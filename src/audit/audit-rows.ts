import type { DataSource, EntityManager } from 'typeorm';
import type { ChainRow } from './audit-chain.js';

/**
 * Small reads of audit_events shared by verification, retention and export. The chain itself is
 * only ever read in keyset ranges of seq (chain-walk.ts, the export), never the whole table.
 */
export type Queryable = Pick<DataSource | EntityManager, 'query'>;

/** The row as the chain hashes it; occurred_at formatted in SQL exactly like toISOString(). */
export const ISO_MS = `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const CHAIN_SELECT = `seq::text AS seq, ${ISO_MS} AS occurred_at, actor, roles, action, outcome, secret_id, secret_name,
  request_id, client_ip, user_agent, details, prev_hash, hash`;

export interface ChainHead {
  seq: string;
  hash: string;
}

export async function chainHead(db: Queryable): Promise<ChainHead | null> {
  const [row] = (await db.query('SELECT seq::text AS seq, hash FROM audit_events WHERE seq IS NOT NULL ORDER BY audit_events.seq DESC LIMIT 1')) as ChainHead[];
  return row ?? null;
}

export async function rowHash(db: Queryable, seq: string): Promise<string | null> {
  const [row] = (await db.query('SELECT hash FROM audit_events WHERE seq = $1', [seq])) as { hash: string }[];
  return row?.hash ?? null;
}

/** Rows with after < seq <= upto, ascending, at most `limit`. */
export async function chainBatch(db: Queryable, after: string, upto: string, limit: number): Promise<ChainRow[]> {
  return (await db.query(`SELECT ${CHAIN_SELECT} FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY audit_events.seq LIMIT $3`, [
    after,
    upto,
    limit,
  ])) as ChainRow[];
}

/**
 * Runs `read(after)` in a loop, starting the next read before handing out the current result,
 * until `next` says there is nothing after it. At most one read is in flight ahead of the caller.
 */
export async function* prefetched<T>(
  read: (after: string) => Promise<T>,
  start: string,
  next: (result: T) => string | null,
): AsyncGenerator<T> {
  let pending: Promise<T> | null = read(start);
  try {
    while (pending) {
      const result = await pending;
      const after = next(result);
      pending = after === null ? null : read(after);
      // Keep a failing prefetch from being reported as unhandled while the caller is busy.
      pending?.catch(() => undefined);
      yield result;
    }
  } finally {
    pending?.catch(() => undefined);
  }
}
