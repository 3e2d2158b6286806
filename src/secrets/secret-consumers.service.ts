import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { addDays } from '../clock/clock.js';
import { AppConfig } from '../config/index.js';

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

/**
 * The `secret_consumers` table: who read which version of a secret. Written on the value-read hot
 * path, so a read costs exactly one more statement (an upsert) on top of its SELECT and audit row.
 */
@Injectable()
export class SecretConsumers {
  constructor(private readonly config: AppConfig) {}

  /**
   * One statement, outside any transaction on the read path (autocommit): a consumer's row lock is
   * held only for the upsert itself. Many replicas of one service reading one secret at once take
   * turns on that row, which is the price of an exact read count.
   */
  async record(tx: EntityManager, secretId: string, sub: string, version: number, at: Date): Promise<void> {
    await tx.query(
      `INSERT INTO secret_consumers AS c (secret_id, sub, last_version, first_read_at, last_read_at, read_count)
       VALUES ($1, $2, $3, $4, $4, 1)
       ON CONFLICT (secret_id, sub) DO UPDATE
         SET last_version = EXCLUDED.last_version, last_read_at = greatest(c.last_read_at, EXCLUDED.last_read_at), read_count = c.read_count + 1`,
      [secretId, sub, version, at],
    );
  }

  list(tx: EntityManager, secretId: string): Promise<ConsumerRow[]> {
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
