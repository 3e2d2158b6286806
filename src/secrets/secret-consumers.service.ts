import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { addDays } from '../clock/clock.js';
import { AppConfig } from '../config/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { CONSUMERS_UPSERT } from './consumers-upsert.js';

export interface ConsumerRow {
  sub: string;
  last_version: number;
  first_read_at: Date;
  last_read_at: Date;
  read_count: string;
}

/** How many active consumers (seen within CONSUMER_ACTIVE_DAYS) a secret has, and how many read its current version. */
export interface ConsumerCounts {
  active: number;
  on_current: number;
}

/** Reads are written in one statement at most this often per replica. */
export const CONSUMER_FLUSH_INTERVAL_MS = 200;
/** Distinct (secret, consumer) pairs held between flushes; beyond it a flush starts at once. */
const MAX_PENDING = 5_000;

interface PendingRead {
  secret_id: string;
  sub: string;
  last_version: number;
  first_read_at: string;
  last_read_at: string;
  read_count: number;
}

/**
 * The `secret_consumers` table: who read which version of a secret. Kept off the value-read hot
 * path: a read only notes (secret, sub, version) in memory, and this replica writes what it noted
 * every CONSUMER_FLUSH_INTERVAL_MS in one upsert. The audit row of the read (written before the
 * value is returned) stays the authoritative record; this table is a summary of it, so a crash may
 * lose the last fraction of a second of counts, never an audit row. Readers of the table in this
 * replica flush first (they see their own replica's reads); other replicas' reads show within the
 * interval.
 */
@Injectable()
export class SecretConsumers implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SecretConsumers.name);
  private pending = new Map<string, PendingRead>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
  ) {}

  /** Notes a value read (no I/O). */
  record(secretId: string, sub: string, version: number, at: Date): void {
    const key = `${secretId}\u0000${sub}`;
    const t = at.toISOString();
    const seen = this.pending.get(key);
    if (seen) {
      if (t >= seen.last_read_at) {
        seen.last_read_at = t;
        seen.last_version = version;
      }
      seen.read_count += 1;
    } else {
      this.pending.set(key, { secret_id: secretId, sub, last_version: version, first_read_at: t, last_read_at: t, read_count: 1 });
    }
    if (this.pending.size >= MAX_PENDING) void this.flush();
    else this.armTimer();
  }

  /** Arms the next flush outside any transaction, so the timer's flush is never itself inside one. */
  private armTimer(): void {
    if (this.timer) return;
    this.timer = this.uow.detached(() =>
      setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, CONSUMER_FLUSH_INTERVAL_MS),
    );
    this.timer.unref();
  }

  /**
   * Writes what this replica noted so far (one statement). Outside a transaction only: on the
   * embedded database a second connection inside one would wait for it. A failed write is logged
   * and its reads are noted again for the next flush.
   */
  flush(): Promise<void> {
    if (this.pending.size === 0) return this.writing;
    // Inside a transaction the timer stays armed (or is armed) so these reads are written soon after.
    if (this.uow.inTransaction) {
      this.armTimer();
      return this.writing;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.writing = this.writing.then(() =>
      this.dataSource
        .query(
          CONSUMERS_UPSERT,
          [JSON.stringify(batch)],
        )
        .then(
          () => undefined,
          (e: Error) => {
            this.logger.warn(`consumer reads not written yet (${batch.length} pairs, retried): ${e.message}`);
            for (const r of batch) this.requeue(r);
            this.armTimer();
          },
        ),
    );
    return this.writing;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  private requeue(r: PendingRead): void {
    const key = `${r.secret_id}\u0000${r.sub}`;
    const seen = this.pending.get(key);
    if (!seen) {
      if (this.pending.size < MAX_PENDING) this.pending.set(key, r);
      return;
    }
    seen.read_count += r.read_count;
    if (r.first_read_at < seen.first_read_at) seen.first_read_at = r.first_read_at;
  }

  async list(tx: EntityManager, secretId: string): Promise<ConsumerRow[]> {
    await this.flush();
    return tx.query(
      `SELECT sub, last_version, first_read_at, last_read_at, read_count::text AS read_count
       FROM secret_consumers WHERE secret_id = $1 ORDER BY last_read_at DESC, sub LIMIT 1000`,
      [secretId],
    ) as Promise<ConsumerRow[]>;
  }

  /** Active consumers not yet on `version` (e.g. the version a rotation just made current). */
  async notOn(tx: EntityManager, secretId: string, version: number, now: Date): Promise<string[]> {
    const rows = (await tx.query(
      'SELECT sub FROM secret_consumers WHERE secret_id = $1 AND last_version < $2 AND last_read_at >= $3 ORDER BY sub LIMIT 100',
      [secretId, version, this.activeSince(now)],
    )) as { sub: string }[];
    return rows.map((r) => r.sub);
  }

  async counts(tx: EntityManager, secretId: string, currentVersion: number, now: Date): Promise<ConsumerCounts> {
    await this.flush();
    const [row] = (await tx.query(
      `SELECT count(*)::int AS active, count(*) FILTER (WHERE last_version >= $2)::int AS on_current
       FROM secret_consumers WHERE secret_id = $1 AND last_read_at >= $3`,
      [secretId, currentVersion, this.activeSince(now)],
    )) as ConsumerCounts[];
    return row ?? { active: 0, on_current: 0 };
  }

  /**
   * For each version: active consumers, and how many of them last read that version or a later
   * one (a rotation's "moved" count). One query for a whole rotation history.
   */
  async movedTo(tx: EntityManager, secretId: string, versions: number[], now: Date): Promise<Map<number, { active: number; moved: number }>> {
    if (versions.length === 0) return new Map();
    await this.flush();
    const rows = (await tx.query(
      `SELECT v.version, count(c.sub)::int AS active, count(c.sub) FILTER (WHERE c.last_version >= v.version)::int AS moved
       FROM unnest($2::int[]) AS v(version)
       LEFT JOIN secret_consumers c ON c.secret_id = $1 AND c.last_read_at >= $3
       GROUP BY v.version`,
      [secretId, versions, this.activeSince(now)],
    )) as { version: number; active: number; moved: number }[];
    return new Map(rows.map((r) => [r.version, { active: r.active, moved: r.moved }]));
  }

  /** Consumers are forgotten with their secret (purge). */
  async forget(tx: EntityManager, secretId: string): Promise<void> {
    await tx.query('DELETE FROM secret_consumers WHERE secret_id = $1', [secretId]);
  }

  activeSince(now: Date): Date {
    return addDays(now, -this.config.secrets.consumerActiveDays);
  }

  /**
   * The list filter `stale_consumers=true`: secrets an active consumer still reads at a version
   * older than the current one. `alias` is the secrets table's alias in the caller's query.
   */
  static staleCondition(alias: string): string {
    return `EXISTS (SELECT 1 FROM secret_consumers c WHERE c.secret_id = ${alias}.id AND c.last_version < ${alias}.current_version AND c.last_read_at >= :activeSince)`;
  }
}
