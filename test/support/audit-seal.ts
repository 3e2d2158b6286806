import type pg from 'pg';
import { eventually } from './app.js';

/**
 * Audit rows are sealed (seq, prev_hash, hash) by a background sealer shortly after they commit.
 * Tests that read seq or hashes straight from the table wait for that first (bounded).
 */
export async function allSealed(db: pg.Client, timeoutMs = 30_000): Promise<void> {
  await eventually(async () => {
    const r = await db.query('SELECT count(*)::int AS n FROM audit_events WHERE seq IS NULL');
    return r.rows[0].n === 0;
  }, timeoutMs);
}
