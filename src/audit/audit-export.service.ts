import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import { lockKey } from '../database/advisory-lock.js';
import { AUDIT_RETENTION_LOCK } from './audit-retention.service.js';
import { chainHead, ISO_MS, prefetched } from './audit-rows.js';
import { annotateAudit } from '../audit-log/audit-scope.js';
import { AuditVerifier } from './audit-verifier.service.js';
import { AuditCheckpoints } from './checkpoints/audit-checkpoints.js';
import { AuditSigner } from './checkpoints/audit-signer.js';
import { AuditSealer } from './sealer/audit-sealer.js';
import { copyOut, type CopyOutResult, type PgClientLike } from './copy-out.js';
import type { AuditExportQuery, ExportFormat } from './dto/audit-queries.dto.js';
import { CSV_COLUMNS, EXPORT_FORMAT, type ExportEndLine, type ExportHeaderLine } from './export-format.js';

/**
 * Rows per read. Each read is one `COPY (SELECT … WHERE seq in a range of this size) TO STDOUT`:
 * PostgreSQL formats the rows in C, the process relays one buffer of a few MB per batch while the
 * next batches are produced on two connections, so the export keeps up with a plain COPY of the
 * table. Memory stays at about three batches whatever the table size, plus garbage the GC has not
 * collected yet (bounded; see the README, "Export memory").
 */
export const EXPORT_BATCH = 10_000;
const CHECKPOINT_BATCH = 1000;
const MAX_SEQ = '9223372036854775807';

/** Spreadsheet formula triggers (OWASP "CSV injection"), as in the report renderer. */
const FORMULA_TRIGGERS = `('=', '+', '-', '@', E'\\t', E'\\r', '＝', '＋', '－', '＠')`;
/** A text column a client can influence, with a leading `'` when it would start a formula. */
const neutralised = (col: string) => `CASE WHEN left(${col}, 1) IN ${FORMULA_TRIGGERS} THEN '''' || ${col} ELSE ${col} END`;

/**
 * CSV columns as PostgreSQL prints them (roles as an array literal, details as JSON). Columns a
 * client can influence (token subject, path parameter, request id header, forwarded address, user
 * agent) are neutralised; the rest are ours (catalogue actions, hashes, validated names).
 */
const CSV_SELECT = `seq, ${ISO_MS}, ${neutralised('actor')}, roles, action, outcome, ${neutralised('secret_id')}, secret_name,
  ${neutralised('request_id')}, ${neutralised('client_ip')}, ${neutralised('user_agent')}, details, prev_hash, hash`;

const JSONL_SELECT = `json_build_object('type', 'event', 'seq', seq::text, 'occurred_at', ${ISO_MS}, 'actor', actor, 'roles', roles,
  'action', action, 'outcome', outcome, 'secret_id', secret_id, 'secret_name', secret_name, 'request_id', request_id,
  'client_ip', client_ip, 'user_agent', user_agent, 'details', details, 'prev_hash', prev_hash, 'hash', hash)::text`;

/**
 * COPY per format. JSON Lines: one text column written as "CSV" with a delimiter and a quote that
 * JSON text never holds raw (it \u-escapes control characters), so each line is the JSON exactly;
 * COPY's text format would double its backslashes.
 */
const COPY: Record<ExportFormat, { select: string; options: string }> = {
  csv: { select: CSV_SELECT, options: 'FORMAT csv' },
  jsonl: { select: JSONL_SELECT, options: `FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02'` },
};

/** The COPY statement for after < seq <= upto (COPY takes no bind parameters; both are bigints). */
function copyStatement(format: ExportFormat, after: bigint, upto: bigint): string {
  const { select, options } = COPY[format];
  return `COPY (SELECT ${select} FROM audit_events WHERE seq > ${after} AND seq <= ${upto} ORDER BY seq) TO STDOUT WITH (${options})`;
}

type Range = { first: string; last: string } | null;

export interface OpenedExport {
  stream: Readable;
  contentType: string;
  filename: string;
}

/**
 * GET /api/v1/audit/export. The range is fixed when the export opens (rows appended later are not
 * in it), then streamed in batches of consecutive seqs, each its own COPY statement: no
 * transaction or snapshot spans the export, and the table is never in memory.
 *
 * from/to select a contiguous seq range (first event at/after `from` to the last event before
 * `to`, by time), so a ranged export is still one unbroken piece of the chain.
 */
@Injectable()
export class AuditExporter {
  private readonly logger = new Logger(AuditExporter.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    private readonly verifier: AuditVerifier,
    private readonly checkpoints: AuditCheckpoints,
    private readonly signer: AuditSigner,
    private readonly clock: Clock,
    private readonly sealer: AuditSealer,
  ) {}

  async open(q: AuditExportQuery): Promise<OpenedExport> {
    const format: ExportFormat = q.format ?? 'jsonl';
    if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to)) {
      throw new DomainError(DomainErrorCode.InvalidInput, 'from must be before to');
    }
    const complete = !q.from && !q.to;
    await this.audit.flush();
    await this.sealer.sealNow();
    // A complete JSON export ends with a checkpoint over its last row, so the whole file is signed.
    if (format === 'jsonl' && complete) {
      await this.verifier.checkpointHead().catch((e: Error) => this.logger.error(`checkpoint before export: ${e.message}`));
    }
    const range = await this.range(q.from, q.to);
    // The export holds the sealed chain; rows still unsealed now are in the next one.
    const unsealed = await this.sealer.unsealed();
    annotateAudit({
      details: { format, from: q.from ?? null, to: q.to ?? null, first_seq: range?.first ?? null, last_seq: range?.last ?? null, unsealed },
    });

    const stamp = this.clock.now().toISOString().replace(/[:.]/g, '-');
    if (format === 'csv') {
      return {
        stream: this.toStream(this.csv(range)),
        contentType: 'text/csv; charset=utf-8',
        filename: `strongroom-audit-${stamp}.csv`,
      };
    }
    const header = (r: Range): ExportHeaderLine => ({
      type: 'export',
      format: EXPORT_FORMAT,
      exported_at: this.clock.now().toISOString(),
      from: q.from ?? null,
      to: q.to ?? null,
      complete,
      first_seq: r?.first ?? null,
      last_seq: r?.last ?? null,
      unsealed,
      key_id: this.signer.keyId,
      public_key_pem: this.signer.publicKeyPem,
    });
    return {
      stream: this.toStream(this.jsonl(header, range)),
      contentType: 'application/x-ndjson; charset=utf-8',
      filename: `strongroom-audit-${stamp}.jsonl`,
    };
  }

  /** The seq range to export, or null when no row falls in it. */
  private async range(from?: string, to?: string): Promise<Range> {
    const head = await chainHead(this.dataSource);
    if (!head) return null;
    const one = async (sql: string, params: unknown[]) => ((await this.dataSource.query(sql, params)) as { seq: string }[])[0]?.seq;
    const first = from
      ? await one('SELECT seq::text AS seq FROM audit_events WHERE occurred_at >= $1 AND seq IS NOT NULL ORDER BY occurred_at, audit_events.seq LIMIT 1', [from])
      : await one('SELECT seq::text AS seq FROM audit_events WHERE seq IS NOT NULL ORDER BY audit_events.seq LIMIT 1', []);
    let last = to
      ? await one('SELECT seq::text AS seq FROM audit_events WHERE occurred_at < $1 AND seq IS NOT NULL ORDER BY occurred_at DESC, audit_events.seq DESC LIMIT 1', [to])
      : head.seq;
    if (!first || !last) return null;
    if (BigInt(last) > BigInt(head.seq)) last = head.seq;
    return BigInt(first) <= BigInt(last) ? { first, last } : null;
  }

  /**
   * Runs `body` with two pooled connections, the first holding a shared lock against retention
   * (so no row of the range is pruned while it streams). Taken when the stream is first read and
   * released when it ends, fails or the client goes away, so a response never sent holds nothing.
   */
  private async *streaming<T>(body: (clients: PgClientLike[], range: Range) => AsyncGenerator<T>, range: Range): AsyncGenerator<T> {
    const runners = [this.dataSource.createQueryRunner(), this.dataSource.createQueryRunner()];
    const clients: PgClientLike[] = [];
    let locked = false;
    try {
      for (const runner of runners) clients.push((await runner.connect()) as PgClientLike);
      await runners[0]!.query('SELECT pg_advisory_lock_shared($1::bigint)', [lockKey(AUDIT_RETENTION_LOCK)]);
      locked = true;
      // Retention may have cut the chain between opening and now: start at what is left.
      const [oldest] = (await runners[0]!.query('SELECT seq::text AS seq FROM audit_events WHERE seq IS NOT NULL ORDER BY audit_events.seq LIMIT 1')) as { seq: string }[];
      const live = range && oldest && BigInt(oldest.seq) > BigInt(range.first) ? { ...range, first: oldest.seq } : range;
      yield* body(clients, live && BigInt(live.first) <= BigInt(live.last) ? live : null);
    } finally {
      if (locked) await runners[0]!.query('SELECT pg_advisory_unlock_shared($1::bigint)', [lockKey(AUDIT_RETENTION_LOCK)]).catch(() => undefined);
      await Promise.all(runners.map((r) => r.release()));
    }
  }

  /**
   * The formatted rows of the range, one buffer per COPY of EXPORT_BATCH consecutive seqs, in
   * order. The next COPYs run on the other connections while a buffer is being sent, so
   * PostgreSQL formats ahead on two backends; at most one batch per connection is held.
   */
  private async *events(clients: PgClientLike[], format: ExportFormat, range: Range): AsyncGenerator<CopyOutResult> {
    if (!range) return;
    const last = BigInt(range.last);
    let next = BigInt(range.first) - 1n;
    let turn = 0;
    let sizeHint = 0;
    const inFlight: Promise<CopyOutResult>[] = [];
    const fill = () => {
      while (inFlight.length < clients.length && next < last) {
        const upto = next + BigInt(EXPORT_BATCH) < last ? next + BigInt(EXPORT_BATCH) : last;
        const pending = copyOut(clients[turn++ % clients.length]!, copyStatement(format, next, upto), sizeHint);
        pending.catch(() => undefined);
        inFlight.push(pending);
        next = upto;
      }
    };
    try {
      fill();
      while (inFlight.length > 0) {
        const batch = await inFlight.shift()!;
        sizeHint = Math.ceil(batch.data.length * 1.1);
        fill();
        if (batch.rows > 0) yield batch;
      }
    } finally {
      await Promise.all(inFlight.map((p) => p.catch(() => undefined)));
    }
  }

  private csv(range: Range): AsyncGenerator<Buffer | string> {
    const events = this.events.bind(this);
    return this.streaming(async function* (clients, live) {
      yield CSV_COLUMNS.join(',') + '\n';
      for await (const batch of events(clients, 'csv', live)) yield batch.data;
    }, range);
  }

  private jsonl(header: (r: Range) => ExportHeaderLine, range: Range): AsyncGenerator<Buffer | string> {
    const events = this.events.bind(this);
    const checkpointStore = this.checkpoints;
    return this.streaming(async function* (clients, live) {
      yield JSON.stringify(header(live)) + '\n';
      let checkpoints = 0;
      if (live) {
        // Every checkpoint existing now whose head is in the range (a prune cut made since the
        // export opened included: the rows before it are gone from the range too). A complete
        // export also carries checkpoints beyond its last row: the sealer does not chain onto a
        // cut chain, so such a checkpoint is how the file shows the newest rows were removed.
        const maxId = await checkpointStore.maxId();
        const upto = header(live).complete ? MAX_SEQ : live.last;
        const read = (after: string) => checkpointStore.batch(after, live.first, upto, maxId, CHECKPOINT_BATCH);
        for await (const batch of prefetched(read, '0', (b) => (b.length < CHECKPOINT_BATCH ? null : b[b.length - 1]!.id))) {
          if (batch.length === 0) continue;
          checkpoints += batch.length;
          yield batch.map((c) => JSON.stringify({ type: 'checkpoint', ...c })).join('\n') + '\n';
        }
      }
      let count = 0;
      for await (const batch of events(clients, 'jsonl', live)) {
        count += batch.rows;
        yield batch.data;
      }
      const end: ExportEndLine = { type: 'end', events: count, checkpoints };
      yield JSON.stringify(end) + '\n';
    }, range);
  }

  /** A byte stream (not object mode): the response's backpressure paces the reads. */
  private toStream(source: AsyncGenerator<Buffer | string>): Readable {
    return Readable.from(source, { objectMode: false, highWaterMark: 1 << 20 });
  }
}
