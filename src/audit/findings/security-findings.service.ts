import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AlertKind } from '../../alerts/alert.types.js';
import { SecurityAlerts } from '../../alerts/security-alerts.js';
import { Clock } from '../../clock/clock.js';
import { decodeCursor, encodeCursor } from '../../common/list-cursor.js';
import { FindingDto, type FindingListDto } from '../dto/finding.dto.js';
import { type FindingKind, SecurityFindingEntity } from './security-finding.entity.js';

export type AlertDetails = Record<string, string | number | boolean | null | string[]>;

/** A finding as its detector describes it. `details` are value-free facts (counts, ids, hours). */
export interface NewFinding {
  kind: FindingKind;
  severity: SecurityFindingEntity['severity'];
  summary: string;
  actor?: string | null;
  clientIp?: string | null;
  secretId?: string | null;
  details: AlertDetails;
  /** Same key, same finding: stored once, alerted once. At most 200 characters. */
  dedupeKey: string;
}

export const newFindingId = () => `fnd_${randomBytes(12).toString('base64url')}`;

/**
 * security_findings (this module is its only writer): what the access-pattern analysis, the chain
 * verification and the integrity check found. Recording
 * is idempotent by dedupe_key; a finding raises its security alert only when it is new.
 */
@Injectable()
export class SecurityFindings {
  private readonly logger = new Logger(SecurityFindings.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly alerts: SecurityAlerts,
    private readonly clock: Clock,
  ) {}

  /**
   * Stores the finding unless already known; returns whether it was new. `tx`: write it in the
   * caller's transaction (it commits with the caller's own rows); without, on its own.
   */
  async record(f: NewFinding, alertKind?: AlertKind, tx?: EntityManager): Promise<boolean> {
    const id = newFindingId();
    const inserted =
      ((await (tx ?? this.dataSource).query(
        `INSERT INTO security_findings (id, kind, severity, summary, actor, client_ip, secret_id, details, detected_at, status, dedupe_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, 'open', $10)
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
        [
          id,
          f.kind,
          f.severity,
          f.summary.slice(0, 500),
          f.actor?.slice(0, 256) ?? null,
          f.clientIp ?? null,
          f.secretId ?? null,
          JSON.stringify(f.details),
          this.clock.now(),
          f.dedupeKey.slice(0, 200),
        ],
      )) as { id: string }[]).length > 0;
    if (inserted && alertKind) {
      await this.alerts
        .raise({
          kind: alertKind,
          severity: f.severity,
          summary: f.summary,
          details: { finding_id: id, finding_kind: f.kind, actor: f.actor ?? null, client_ip: f.clientIp ?? null, secret_id: f.secretId ?? null, ...f.details },
          dedupeKey: `finding:${f.dedupeKey}`.slice(0, 200),
        })
        .catch((e: Error) => this.logger.error(`alert for finding ${id} failed: ${e.message}`));
    }
    return inserted;
  }

  /** Open findings, newest first, keyset-paginated on (detected_at, id). */
  async listOpen(limit: number, cursor?: string, kind?: string): Promise<FindingListDto> {
    const qb = this.dataSource
      .getRepository(SecurityFindingEntity)
      .createQueryBuilder('f')
      .where("f.status = 'open'")
      .orderBy('f.detectedAt', 'DESC')
      .addOrderBy('f.id', 'DESC')
      .limit(limit + 1);
    if (kind) qb.andWhere('f.kind = :kind', { kind });
    if (cursor) {
      const { createdAt: at, id } = decodeCursor(cursor);
      qb.andWhere('(f.detected_at, f.id) < (:at, :id)', { at, id });
    }
    const rows = await qb.getMany();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => FindingDto.from(r)),
      next_cursor: rows.length > limit && last ? encodeCursor({ createdAt: last.detectedAt.toISOString(), id: last.id }) : null,
    };
  }
}
