import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { annotateAudit } from '../audit-log/audit-scope.js';
import type { Actor } from '../auth/auth.types.js';
import { Clock } from '../clock/clock.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { AccessReviewSignoffDto, type SignOffAccessReviewDto } from './dto/access-review-signoff.dto.js';
import { AccessReviewSignoffEntity } from './entities/access-review-signoff.entity.js';
import { ReportsRepository } from './reports.repository.js';
import { reportNotFound } from './reports.errors.js';

/** The latest recorded review, as a compliance summary cites it. */
export interface LatestSignoff {
  reviewedAt: Date;
  reviewedBy: string;
  reportId: string;
  keep: number;
  revoke: number;
}

/**
 * Review decisions on stored access reviews (`access_review_signoffs`): an auditor or admin
 * records who reviewed, when, remarks and keep/revoke per grant. Rows are never changed; the
 * compliance summary's access-review control cites the latest one.
 */
@Injectable()
export class AccessReviewSignoffs {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly reports: ReportsRepository,
    private readonly clock: Clock,
  ) {}

  async signOff(reportId: string, dto: SignOffAccessReviewDto, actor: Actor): Promise<AccessReviewSignoffDto> {
    const kind = await this.reports.kindOf(reportId);
    if (!kind) throw reportNotFound(reportId);
    if (kind !== 'access_review') {
      throw new DomainError(DomainErrorCode.Conflict, `report ${reportId} is a ${kind} report; only an access review can be signed off`);
    }
    const row = this.uow.manager().getRepository(AccessReviewSignoffEntity).create({
      id: `ars_${randomBytes(12).toString('base64url')}`,
      reportId,
      reviewedBy: actor.sub.slice(0, 256),
      reviewedAt: this.clock.now(),
      remarks: dto.remarks ?? null,
      decisions: dto.decisions.map((d) => ({ grant: d.grant, decision: d.decision, remark: d.remark ?? null })),
    });
    await this.uow.manager().getRepository(AccessReviewSignoffEntity).save(row);
    const out = AccessReviewSignoffDto.from(row);
    annotateAudit({ details: { report_id: reportId, signoff_id: row.id, keep: out.keep, revoke: out.revoke } });
    return out;
  }

  async list(reportId: string): Promise<AccessReviewSignoffDto[]> {
    if (!(await this.reports.kindOf(reportId))) throw reportNotFound(reportId);
    annotateAudit({ details: { report_id: reportId } });
    const rows = await this.uow
      .manager()
      .getRepository(AccessReviewSignoffEntity)
      .find({ where: { reportId }, order: { reviewedAt: 'DESC', id: 'DESC' }, take: 100 });
    return rows.map((r) => AccessReviewSignoffDto.from(r));
  }
}

/** The newest sign-off recorded at or before `before` (for the compliance summary's evidence). */
export async function latestSignoff(db: Pick<EntityManager, 'query'>, before: Date): Promise<LatestSignoff | null> {
  const [r] = (await db.query(
    `SELECT reviewed_at, reviewed_by, report_id,
       (SELECT count(*)::int FROM jsonb_array_elements(decisions) d WHERE d->>'decision' = 'keep') AS keep,
       (SELECT count(*)::int FROM jsonb_array_elements(decisions) d WHERE d->>'decision' = 'revoke') AS revoke
     FROM access_review_signoffs WHERE reviewed_at <= $1 ORDER BY reviewed_at DESC, id DESC LIMIT 1`,
    [before],
  )) as { reviewed_at: Date; reviewed_by: string; report_id: string; keep: number; revoke: number }[];
  return r ? { reviewedAt: new Date(r.reviewed_at), reviewedBy: r.reviewed_by, reportId: r.report_id, keep: r.keep, revoke: r.revoke } : null;
}
