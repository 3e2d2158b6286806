import { hash } from 'node:crypto';

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

/** The fields of a chain row, in column order (the CSV export and the offline verifier use it). */
export const CHAIN_FIELDS = [
  'seq',
  'occurred_at',
  'actor',
  'roles',
  'action',
  'outcome',
  'secret_id',
  'secret_name',
  'request_id',
  'client_ip',
  'user_agent',
  'details',
  'prev_hash',
  'hash',
] as const satisfies readonly (keyof ChainRow)[];

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

/** The hashed fields in canonical (sorted) order. */
const ROW_FIELDS = [
  'action',
  'actor',
  'client_ip',
  'details',
  'occurred_at',
  'outcome',
  'request_id',
  'roles',
  'secret_id',
  'secret_name',
  'seq',
  'user_agent',
] as const;
const ROW_KEYS = new Set<string>([...ROW_FIELDS, 'prev_hash', 'hash']);

/** The bytes a row's hash covers: every field but the hashes (prev_hash is hashed in front). */
export function canonicalRow(row: Omit<ChainRow, 'hash'>): string {
  return fastCanonicalRow(row) ?? genericCanonicalRow(row);
}

function genericCanonicalRow(row: Omit<ChainRow, 'hash'>): string {
  const { prev_hash: _prev, ...fields } = row as ChainRow;
  delete (fields as Partial<ChainRow>).hash;
  return canonicalJson(fields);
}

/**
 * canonicalJson of a row holding exactly the chain fields, without building and sorting key lists
 * per row (verification walks millions of rows). Same bytes as the generic form; a row with any
 * other key takes the generic form.
 */
function fastCanonicalRow(row: Omit<ChainRow, 'hash'>): string | null {
  for (const key in row) if (!ROW_KEYS.has(key)) return null;
  const fields = row as unknown as Record<string, unknown>;
  let out = '{';
  for (const f of ROW_FIELDS) {
    const v = fields[f];
    if (v === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}"${f}":${typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v)}`;
  }
  return out + '}';
}

export function chainHash(prevHash: string, row: Omit<ChainRow, 'hash'>): string {
  return sha256Hex(`${prevHash}\n${canonicalRow(row)}`);
}

/** SHA-256 over the UTF-8 bytes, one call (same digest as update(prev).update('\\n').update(row)). */
const sha256Hex = (data: string): string => hash('sha256', data, 'hex');

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

  /** The seq and prev_hash the next row must have. */
  get expected(): { seq: bigint; prevHash: string } {
    return { seq: this.expectedSeq, prevHash: this.prevHash };
  }

  /**
   * Takes `count` rows as judged good elsewhere, the last being `last` (a caller that checked
   * seq, prev_hash and hash of each row exactly as push() does, only faster).
   */
  advance(count: number, last: { seq: string; hash: string }): void {
    if (this.firstInvalid || count === 0) return;
    this.checked += count;
    this.prevHash = last.hash;
    this.lastHash = last.hash;
    this.lastSeq = last.seq;
    this.expectedSeq = BigInt(last.seq) + 1n;
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
