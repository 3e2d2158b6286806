import { createHash } from 'node:crypto';

/**
 * The hash chain, as pure functions shared by the service (`/audit/verify`) and the offline
 * verifier (`npm run audit:verify`), so both judge a row by the same bytes.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainRow {
  seq: string;
  occurred_at: string; // ISO 8601, millisecond precision, UTC
  actor: string;
  roles: string[];
  action: string;
  outcome: string;
  secret_id: string | null;
  secret_name: string | null;
  request_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/** Deterministic JSON: object keys sorted at every depth, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

/** The bytes a row's hash covers: every field but the hash itself. */
export function canonicalRow(row: Omit<ChainRow, 'hash'>): string {
  const { prev_hash: _prev, ...fields } = row as ChainRow;
  delete (fields as Partial<ChainRow>).hash;
  return canonicalJson(fields);
}

export function chainHash(prevHash: string, row: Omit<ChainRow, 'hash'>): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalRow(row)).digest('hex');
}

export interface ChainVerdict {
  valid: boolean;
  checked: number;
  first_invalid_id: string | null;
  reason: string | null;
}

/**
 * Verifies rows given in chain order. `expectedFirst` is where the chain must start: genesis,
 * or the row and hash recorded by a prune checkpoint.
 */
export class ChainVerifier {
  private prevHash: string;
  private expectedSeq: bigint;
  checked = 0;
  firstInvalid: { id: string; reason: string } | null = null;
  lastSeq: string | null = null;
  lastHash: string;

  constructor(expectedFirst: { seq: string; prevHash: string } = { seq: '1', prevHash: GENESIS_HASH }) {
    this.prevHash = expectedFirst.prevHash;
    this.expectedSeq = BigInt(expectedFirst.seq);
    this.lastHash = expectedFirst.prevHash;
  }

  /** Feeds the next row; returns false once the chain is broken (later rows are not judged). */
  push(row: ChainRow): boolean {
    if (this.firstInvalid) return false;
    const fail = (reason: string) => {
      this.firstInvalid = { id: row.seq, reason };
      return false;
    };
    if (BigInt(row.seq) !== this.expectedSeq) {
      return fail(
        BigInt(row.seq) > this.expectedSeq
          ? `rows missing before seq ${row.seq} (expected seq ${this.expectedSeq})`
          : `row out of order or repeated (expected seq ${this.expectedSeq})`,
      );
    }
    if (row.prev_hash !== this.prevHash) return fail('prev_hash does not match the previous row (row reordered, removed or inserted)');
    if (chainHash(row.prev_hash, row) !== row.hash) return fail('hash does not match the row contents (row edited)');
    this.checked += 1;
    this.prevHash = row.hash;
    this.lastHash = row.hash;
    this.lastSeq = row.seq;
    this.expectedSeq += 1n;
    return true;
  }

  verdict(): ChainVerdict {
    return {
      valid: this.firstInvalid === null,
      checked: this.checked,
      first_invalid_id: this.firstInvalid?.id ?? null,
      reason: this.firstInvalid?.reason ?? null,
    };
  }
}

/** The statement a checkpoint signs. */
export function checkpointStatement(cp: {
  kind: string;
  created_at: string;
  head_seq: string;
  head_hash: string;
  first_seq: string | null;
  first_prev_hash: string | null;
}): string {
  return canonicalJson({ type: 'strongroom.audit.checkpoint.v1', ...cp });
}
