import { hash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { canonicalJson, type ChainVerifier } from './audit-chain.js';
import { chainBatch, ISO_MS } from './audit-rows.js';

/** Rows per read: one keyset range of the primary key. */
export const WALK_BATCH = 10_000;
/** Connections reading ahead (each holds one batch in flight). */
const WALK_CONNECTIONS = 2;

const json = (col: string) => `coalesce(to_json(${col})::text, 'null')`;

/**
 * A row as the fast path reads it: PostgreSQL renders, with to_json, every canonical field but
 * `details` (the text before and after it, prev_hash and newline included), so the process only
 * canonicalises the details, concatenates and hashes.
 */
const FAST_SELECT = `SELECT seq::text,
  prev_hash || E'\\n' || '{"action":' || to_json(action)::text || ',"actor":' || to_json(actor)::text
    || ',"client_ip":' || ${json('client_ip')} || ',"details":',
  details::text,
  ',"occurred_at":' || to_json(${ISO_MS})::text || ',"outcome":' || to_json(outcome)::text
    || ',"request_id":' || ${json('request_id')} || ',"roles":' || to_json(roles)::text
    || ',"secret_id":' || ${json('secret_id')} || ',"secret_name":' || ${json('secret_name')}
    || ',"seq":' || to_json(seq::text)::text || ',"user_agent":' || ${json('user_agent')} || '}',
  prev_hash, hash
  FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY audit_events.seq`;

type FastRow = [seq: string, before: string, details: string, after: string, prevHash: string, hash: string];

interface RawClient {
  query(config: { text: string; values: unknown[]; rowMode: 'array'; types: unknown }): Promise<{ rows: FastRow[] }>;
}

/** Every column as the text PostgreSQL sent. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

/**
 * Feeds the rows with from <= seq <= upto to `chain`, in batches read ahead on pooled connections
 * (never all rows, never one long transaction).
 *
 * Each batch is first judged the fast way (PostgreSQL-rendered fields, same checks as
 * ChainVerifier.push: seq, prev_hash, SHA-256). A batch with any row that does not pass is judged
 * again row by row by ChainVerifier itself, the authority, which names the first bad row. So a
 * value PostgreSQL and JavaScript happen to escape differently costs time, never a wrong verdict;
 * and a changed row cannot pass the fast way, since every field enters the hashed text.
 */
export async function walkChain(
  dataSource: DataSource,
  chain: ChainVerifier,
  from: string,
  upto: string,
  watch: string | null = null,
): Promise<WalkResult> {
  const end = BigInt(upto);
  let next = BigInt(from) - 1n;
  if (next >= end) return { watched: undefined, rejudged: 0 };
  // Two connections, so PostgreSQL renders the next batches on two backends while this process
  // checks the current one; batches are still judged strictly in order.
  const runners = await Promise.all(
    Array.from({ length: WALK_CONNECTIONS }, async () => {
      const runner = dataSource.createQueryRunner();
      return { runner, client: (await runner.connect()) as RawClient };
    }),
  );
  const inFlight: { after: bigint; upto: bigint; rows: Promise<{ rows: FastRow[] }> }[] = [];
  let turn = 0;
  const fill = () => {
    while (inFlight.length < WALK_CONNECTIONS && next < end) {
      const after = next;
      const batchEnd = min(after + BigInt(WALK_BATCH), end);
      const { client } = runners[turn++ % runners.length]!;
      const rows = client.query({ text: FAST_SELECT, values: [after.toString(), batchEnd.toString()], rowMode: 'array', types: RAW_TEXT });
      rows.catch(() => undefined);
      inFlight.push({ after, upto: batchEnd, rows });
      next = batchEnd;
    }
  };
  const cache = new DetailsCache();
  let watched: string | undefined;
  let rejudged = 0;
  try {
    fill();
    while (inFlight.length > 0 && !chain.firstInvalid) {
      const batch = inFlight.shift()!;
      const { rows } = await batch.rows;
      fill();
      const fast = judgeFast(chain, rows, watch, cache);
      if (fast.ok) {
        watched = fast.watched ?? watched;
        continue;
      }
      rejudged += 1;
      for (const row of await chainBatch(runners[0]!.runner, batch.after.toString(), batch.upto.toString(), WALK_BATCH)) {
        if (!chain.push(row)) break;
        if (row.seq === watch) watched = row.hash;
      }
    }
  } finally {
    await Promise.all(inFlight.map((b) => b.rows.catch(() => undefined)));
    await Promise.all(runners.map(({ runner }) => runner.release()));
  }
  return { watched, rejudged };
}

export interface WalkResult {
  /** The hash of row `watch`, if reached. */
  watched: string | undefined;
  /** Batches the fast way did not pass and ChainVerifier judged row by row. */
  rejudged: number;
}

/**
 * Canonical details by their stored text. Details repeat a lot (route, method, status), so most
 * rows skip parsing; bounded, and emptied when full.
 */
class DetailsCache {
  private readonly map = new Map<string, string>();
  canonical(text: string): string {
    if (text === '{}') return text;
    let c = this.map.get(text);
    if (c === undefined) {
      c = canonicalJson(JSON.parse(text));
      if (this.map.size >= 10_000) this.map.clear();
      this.map.set(text, c);
    }
    return c;
  }
}

function judgeFast(chain: ChainVerifier, rows: FastRow[], watch: string | null, cache: DetailsCache): { ok: boolean; watched?: string } {
  if (rows.length === 0) return { ok: true };
  const start = chain.expected;
  let expected = Number(start.seq);
  let prev = start.prevHash;
  let watched: string | undefined;
  for (const [seq, before, details, after, prevHash, rowHash] of rows) {
    if (Number(seq) !== expected || prevHash !== prev) return { ok: false };
    if (hash('sha256', before + cache.canonical(details) + after, 'hex') !== rowHash) return { ok: false };
    if (seq === watch) watched = rowHash;
    expected += 1;
    prev = rowHash;
  }
  const last = rows[rows.length - 1]!;
  chain.advance(rows.length, { seq: last[0], hash: last[5] });
  return { ok: true, watched };
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
