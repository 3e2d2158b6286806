import type { KeyObject } from 'node:crypto';
import { CHAIN_FIELDS, type ChainRow, type ChainVerdict, ChainVerifier, GENESIS_HASH } from './audit-chain.js';
import { checkpointSignatureValid, keyIdOf, type SignedCheckpoint } from './checkpoint-signature.js';
import { EXPORT_FORMAT, type ExportHeaderLine } from './export-format.js';

export interface ExportVerdict extends ChainVerdict {
  /** Checkpoints signed by the given key whose head row is in the export and matches. */
  checkpoints_checked: number;
  /** Checkpoints signed by another key (not trusted, not used). */
  checkpoints_ignored: number;
  /** Head of the newest trusted checkpoint in the export. */
  last_checkpoint_seq: string | null;
  /** True when verified with allowPartial (only the rows' own consistency is proven). */
  partial: boolean;
}

export interface ExportVerifyOptions {
  /**
   * Accept an export that does not start at the chain's start (a from/to export): the chain is
   * checked from its first row on, and no checkpoint is required.
   */
  allowPartial?: boolean;
}


const PARTIAL_REASON =
  'this export covers a time range (from/to), so it cannot prove the chain is complete; verify it with --allow-partial';

const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

function asChainRow(o: Record<string, unknown>): ChainRow | string {
  for (const f of CHAIN_FIELDS) if (!(f in o)) return `event line lacks "${f}"`;
  if (!isStr(o.seq) || !/^\d+$/.test(o.seq)) return 'event line has no valid seq';
  if (!isStr(o.occurred_at) || !isStr(o.actor) || !isStr(o.action) || !isStr(o.outcome)) return 'event line has a malformed field';
  if (!isStr(o.prev_hash) || !isStr(o.hash)) return 'event line has a malformed hash';
  if (!Array.isArray(o.roles) || !o.roles.every(isStr)) return 'event line has malformed roles';
  if (o.details === null || typeof o.details !== 'object' || Array.isArray(o.details)) return 'event line has malformed details';
  for (const f of ['secret_id', 'secret_name', 'request_id', 'client_ip', 'user_agent'] as const) {
    if (!isStrOrNull(o[f])) return `event line has a malformed ${f}`;
  }
  // Exactly the chain fields: the hash covers these and nothing else.
  return Object.fromEntries(CHAIN_FIELDS.map((f) => [f, o[f]])) as unknown as ChainRow;
}

function asCheckpoint(o: Record<string, unknown>): SignedCheckpoint | string {
  if (o.kind !== 'periodic' && o.kind !== 'prune') return 'checkpoint line has an unknown kind';
  if (!isStr(o.id) || !isStr(o.created_at) || !isStr(o.head_seq) || !/^\d+$/.test(o.head_seq) || !isStr(o.head_hash)) {
    return 'checkpoint line has a malformed field';
  }
  if (!isStrOrNull(o.first_seq) || !isStrOrNull(o.first_prev_hash) || !isStr(o.key_id) || !isStr(o.signature)) {
    return 'checkpoint line has a malformed field';
  }
  if (o.kind === 'prune' && (o.first_seq === null || !/^\d+$/.test(o.first_seq) || o.first_prev_hash === null)) {
    return 'prune checkpoint line lacks first_seq/first_prev_hash';
  }
  return {
    id: o.id,
    kind: o.kind,
    created_at: o.created_at,
    head_seq: o.head_seq,
    head_hash: o.head_hash,
    first_seq: o.first_seq,
    first_prev_hash: o.first_prev_hash,
    key_id: o.key_id,
    signature: o.signature,
  };
}

/**
 * Verifies a JSON Lines export line by line (constant memory but for the checkpoints), with only
 * the signing key's public key as trust anchor:
 *  - every checkpoint signed with this key must carry a valid signature;
 *  - the rows must form one gapless chain starting at genesis, or at the cut recorded by the
 *    newest prune checkpoint (with allowPartial: at the export's first row);
 *  - each trusted checkpoint's head row must be in the export with the signed hash, and none may
 *    lie beyond the last row (that would mean the newest rows were dropped);
 *  - a complete export must be covered by at least one trusted checkpoint, and must end with its
 *    end line (a cut-short file is not valid).
 */
export class ExportVerifier {
  private readonly keyId: string;
  private header: ExportHeaderLine | null = null;
  private readonly checkpoints = new Map<string, SignedCheckpoint>();
  private pruneAnchor: SignedCheckpoint | null = null;
  private chain: ChainVerifier | null = null;
  private failure: { id: string | null; reason: string } | null = null;
  private events = 0;
  private checkpointLines = 0;
  private ignored = 0;
  private matched = 0;
  private ended: { events: number; checkpoints: number } | null = null;

  constructor(
    private readonly publicKey: KeyObject,
    private readonly options: ExportVerifyOptions = {},
  ) {
    this.keyId = keyIdOf(publicKey);
  }

  private fail(id: string | null, reason: string): void {
    if (!this.failure) this.failure = { id, reason };
  }

  /** Feeds one line of the file (1-based line number for messages). */
  line(text: string, lineNo: number): void {
    if (this.failure || text.trim() === '') return;
    let o: Record<string, unknown>;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      o = parsed as Record<string, unknown>;
    } catch {
      return this.fail(this.nextSeq(), `line ${lineNo}: not a JSON object`);
    }
    if (this.ended) return this.fail(this.nextSeq(), `line ${lineNo}: content after the end line`);
    switch (o.type) {
      case 'export':
        if (this.header || lineNo !== 1) return this.fail(null, `line ${lineNo}: unexpected header line`);
        if (o.format !== EXPORT_FORMAT) return this.fail(null, `line ${lineNo}: unknown export format ${String(o.format)}`);
        this.header = o as unknown as ExportHeaderLine;
        return;
      case 'checkpoint':
        return this.onCheckpoint(o, lineNo);
      case 'event':
        return this.onEvent(o, lineNo);
      case 'end':
        this.ended = { events: Number(o.events), checkpoints: Number(o.checkpoints) };
        return;
      default:
        return this.fail(this.nextSeq(), `line ${lineNo}: unknown line type ${JSON.stringify(o.type)}`);
    }
  }

  private nextSeq(): string | null {
    return this.chain?.lastSeq ? (BigInt(this.chain.lastSeq) + 1n).toString() : null;
  }

  private onCheckpoint(o: Record<string, unknown>, lineNo: number): void {
    if (!this.header) return this.fail(null, `line ${lineNo}: not a Strongroom audit export (no header line)`);
    if (this.chain) return this.fail(null, `line ${lineNo}: checkpoint after the events`);
    this.checkpointLines += 1;
    const cp = asCheckpoint(o);
    if (typeof cp === 'string') return this.fail(null, `line ${lineNo}: ${cp}`);
    if (cp.key_id !== this.keyId) {
      this.ignored += 1;
      return;
    }
    if (!checkpointSignatureValid(this.publicKey, cp)) {
      return this.fail(cp.head_seq, `checkpoint #${cp.id} (line ${lineNo}) has an invalid signature: checkpoints were forged or edited`);
    }
    this.checkpoints.set(cp.head_seq, cp);
    if (cp.kind === 'prune' && (!this.pruneAnchor || BigInt(cp.first_seq!) > BigInt(this.pruneAnchor.first_seq!))) {
      this.pruneAnchor = cp;
    }
  }

  private onEvent(o: Record<string, unknown>, lineNo: number): void {
    if (!this.header) return this.fail(null, `line ${lineNo}: not a Strongroom audit export (no header line)`);
    const row = asChainRow(o);
    if (typeof row === 'string') return this.fail(this.nextSeq(), `line ${lineNo}: ${row}`);
    this.events += 1;
    if (!this.chain && !this.header.complete && !this.options.allowPartial) return this.fail(null, PARTIAL_REASON);
    if (!this.chain) {
      const start = this.options.allowPartial
        ? { seq: row.seq, prevHash: row.prev_hash }
        : this.pruneAnchor
          ? { seq: this.pruneAnchor.first_seq!, prevHash: this.pruneAnchor.first_prev_hash! }
          : { seq: '1', prevHash: GENESIS_HASH };
      this.chain = new ChainVerifier(start);
    }
    if (!this.chain.push(row)) {
      const f = this.chain.firstInvalid!;
      return this.fail(f.id, f.reason);
    }
    const cp = this.checkpoints.get(row.seq);
    if (cp) {
      if (cp.head_hash !== row.hash) {
        return this.fail(row.seq, `row ${row.seq} differs from signed checkpoint #${cp.id}: the chain was rewritten from here or earlier`);
      }
      this.matched += 1;
    }
  }

  finish(): ExportVerdict {
    const checked = this.chain?.checked ?? 0;
    const lastSeq = this.chain?.lastSeq ?? null;
    const trusted = [...this.checkpoints.values()];
    const newest = trusted.reduce<SignedCheckpoint | null>((a, c) => (!a || BigInt(c.head_seq) > BigInt(a.head_seq) ? c : a), null);
    if (!this.failure) {
      const partial = !!this.options.allowPartial;
      if (!this.header) this.fail(null, 'not a Strongroom audit export (no header line)');
      else if (!this.header.complete && !partial) {
        this.fail(null, PARTIAL_REASON);
      } else if (!this.ended) {
        this.fail(lastSeq ? (BigInt(lastSeq) + 1n).toString() : null, 'the export is incomplete (no end line): the file was cut short');
      } else if (this.ended.events !== this.events || this.ended.checkpoints !== this.checkpointLines) {
        this.fail(null, `the end line counts ${this.ended.events} events and ${this.ended.checkpoints} checkpoints but the file holds ${this.events} and ${this.checkpointLines}`);
      } else {
        const end = lastSeq ? BigInt(lastSeq) : null;
        const beyond = trusted
          .filter((c) => end === null || BigInt(c.head_seq) > end)
          .sort((a, b) => (BigInt(a.head_seq) < BigInt(b.head_seq) ? -1 : 1))[0];
        if (beyond && (this.events > 0 || !partial)) {
          const first = end === null ? (this.pruneAnchor?.first_seq ?? '1') : (end + 1n).toString();
          this.fail(
            first,
            `rows missing at the end: signed checkpoint #${beyond.id} covers rows up to seq ${beyond.head_seq} but the export ends at ${lastSeq ?? 'no row'}`,
          );
        } else if (!partial && this.events > 0 && this.matched === 0) {
          this.fail(null, 'no checkpoint signed by this key covers the exported rows, so removing the newest rows would go unnoticed');
        }
      }
    }
    return {
      valid: this.failure === null,
      checked,
      first_invalid_id: this.failure?.id ?? null,
      reason: this.failure?.reason ?? null,
      checkpoints_checked: this.matched,
      checkpoints_ignored: this.ignored,
      last_checkpoint_seq: newest?.head_seq ?? null,
      partial: !!this.options.allowPartial,
    };
  }
}

/** Verifies an export given as lines (e.g. `readline` over a file). */
export async function verifyExportLines(
  lines: AsyncIterable<string> | Iterable<string>,
  publicKey: KeyObject,
  options: ExportVerifyOptions = {},
): Promise<ExportVerdict> {
  const v = new ExportVerifier(publicKey, options);
  let n = 0;
  for await (const line of lines) v.line(line, ++n);
  return v.finish();
}
