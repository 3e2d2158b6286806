import { createHash, randomBytes } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { decodeKeysetCursor, encodeKeysetCursor } from '../common/keyset-cursor.js';
import { AppConfig } from '../config/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { AlertDeliveryWorker, rowsOf } from './alert-delivery.worker.js';
import type { AlertInput } from './alert.types.js';
import { AlertDeliveryDto, AlertDto, type AlertListDto } from './dto/alert.dto.js';
import { AlertEntity } from './entities/alert.entity.js';
import { AlertDeliveryEntity } from './entities/alert-delivery.entity.js';
import { SecurityAlerts } from './security-alerts.js';

const newAlertId = () => `alr_${randomBytes(12).toString('base64url')}`;
const SAVEPOINT = 'strongroom_alert_raise';

/** Keys longer than the column are shortened to a prefix and a hash, so they stay distinct. */
function dedupeColumn(key: string | undefined): string | null {
  if (key === undefined) return null;
  if (key.length <= 200) return key;
  return `${key.slice(0, 130)}#${createHash('sha256').update(key).digest('hex')}`;
}

/** Details fit for a log line: ids and counts only (names, reasons and dates stay in the row). */
function loggableDetails(details: AlertInput['details']): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(details).filter(([k, v]) => /(^|_)ids?$/.test(k) || k === 'count' || (typeof v === 'number' && !k.includes('value'))),
  );
}

/**
 * Security alerts: stored once (dedupe key), one delivery row per configured webhook, sent in the
 * background by AlertDeliveryWorker after the raising transaction commits. `raise` never throws.
 */
@Injectable()
export class AlertsService extends SecurityAlerts implements OnModuleInit {
  private readonly logger = new Logger('SecurityAlert');
  /** Transactions that raised an alert: the worker is nudged when they commit. */
  private readonly awaitingCommit = new WeakSet<QueryRunner>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly dataSource: DataSource,
    private readonly worker: AlertDeliveryWorker,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    super();
  }

  onModuleInit(): void {
    // Delivery starts once the raising transaction is visible to the worker's connection.
    this.dataSource.subscribers.push({
      afterTransactionCommit: ({ queryRunner }) => {
        if (this.awaitingCommit.delete(queryRunner)) this.worker.nudge();
      },
      afterTransactionRollback: ({ queryRunner }) => {
        this.awaitingCommit.delete(queryRunner);
      },
    });
  }

  async raise(alert: AlertInput): Promise<void> {
    try {
      const joined = this.uow.inTransaction;
      // Joins the caller's transaction (a second connection would wait on it with the embedded
      // database); a savepoint keeps a failure here from aborting the caller's work.
      const stored = await this.uow.run(async (tx) => {
        if (!joined) return this.insert(tx, alert);
        await tx.query(`SAVEPOINT ${SAVEPOINT}`);
        try {
          const result = await this.insert(tx, alert);
          await tx.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
          if (result && result.deliveries > 0 && tx.queryRunner) this.awaitingCommit.add(tx.queryRunner);
          return result;
        } catch (e) {
          await tx.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`).catch(() => undefined);
          throw e;
        }
      });
      if (!stored) {
        this.logger.debug({ alert: { kind: alert.kind, dedupe_key: alert.dedupeKey } }, 'alert already raised (same dedupe key)');
        return;
      }
      const line = { alert: { id: stored.id, kind: alert.kind, severity: alert.severity, deliveries: stored.deliveries, ...loggableDetails(alert.details) } };
      if (alert.severity === 'critical') this.logger.error(line, alert.summary);
      else if (alert.severity === 'warning') this.logger.warn(line, alert.summary);
      else this.logger.log(line, alert.summary);
      if (!joined && stored.deliveries > 0) this.worker.nudge();
    } catch (e) {
      this.logger.error({ alert: { kind: alert.kind, severity: alert.severity } }, `could not record security alert: ${(e as Error).message}`);
    }
  }

  /** Returns null when an alert with the same dedupe key exists. */
  private async insert(tx: EntityManager, alert: AlertInput): Promise<{ id: string; deliveries: number } | null> {
    const inserted = rowsOf<{ id: string }>(
      await tx.query(
        `INSERT INTO alerts (id, kind, severity, summary, details, occurred_at, dedupe_key)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
         ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
         RETURNING id`,
        [newAlertId(), alert.kind, alert.severity, alert.summary.slice(0, 500), JSON.stringify(alert.details ?? {}), this.clock.now(), dedupeColumn(alert.dedupeKey)],
      ),
    );
    const id = inserted[0]?.id;
    if (!id) return null;
    const urls = this.config.alerts.webhookUrls;
    if (urls.length > 0) {
      await tx.query(
        `INSERT INTO alert_deliveries (alert_id, target, status, attempts, next_attempt_at)
         SELECT $1, t, 'pending', 0, now() FROM unnest($2::text[]) AS t`,
        [id, urls],
      );
    }
    return { id, deliveries: urls.length };
  }

  /** Newest first, keyset-paginated on (occurred_at, id); each alert with its deliveries. */
  async list(limit: number, cursor?: string): Promise<AlertListDto> {
    const tx = this.uow.manager();
    const qb = tx
      .getRepository(AlertEntity)
      .createQueryBuilder('a')
      .orderBy('a.occurred_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(limit + 1);
    if (cursor) {
      const [at, id] = decodeCursor(cursor);
      qb.where('(a.occurred_at, a.id) < (CAST(:at AS timestamptz), :id)', { at, id });
    }
    const rows = await qb.getMany();
    const page = rows.slice(0, limit);
    const deliveries = page.length
      ? await tx
          .getRepository(AlertDeliveryEntity)
          .createQueryBuilder('d')
          .where('d.alert_id IN (:...ids)', { ids: page.map((a) => a.id) })
          .orderBy('d.id', 'ASC')
          .getMany()
      : [];
    const byAlert = new Map<string, AlertDeliveryDto[]>();
    for (const d of deliveries) {
      const list = byAlert.get(d.alertId) ?? [];
      list.push(AlertDeliveryDto.from(d));
      byAlert.set(d.alertId, list);
    }
    const last = page[page.length - 1];
    return {
      items: page.map((a) => AlertDto.from(a, byAlert.get(a.id) ?? [])),
      next_cursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }
}

function encodeCursor(a: AlertEntity): string {
  return encodeKeysetCursor(a.occurredAt.toISOString(), a.id);
}

function decodeCursor(cursor: string): [string, string] {
  const { at, id } = decodeKeysetCursor(cursor);
  return [at, id];
}
