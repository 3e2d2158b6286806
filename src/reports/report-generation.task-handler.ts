import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { TaskEntity } from '../tasks/entities/task.entity.js';
import { BackgroundTaskHandler, type ItemContext, PermanentItemError, TaskHandler } from '../tasks/task-handler.js';
import { ReportEntity } from './entities/report.entity.js';
import { COMPLIANCE_STANDARDS, type ComplianceStandard, REPORT_KINDS, type ReportKind, type ReportSpec } from './reports.types.js';
import { reportDedupKey } from './report-dedup.js';
import { BACKGROUND_WAIT_MS, REPORT_TASK, ReportsService } from './reports.service.js';

/**
 * Background generation (POST /reports for large inventories or with background=true): one task
 * item, whose work is "generate and store the report". The report row, its report.generated audit
 * row and the item's completion commit in one transaction, so a retried item never stores twice.
 */
@Injectable()
@BackgroundTaskHandler()
export class ReportGenerationTask extends TaskHandler {
  readonly kind = REPORT_TASK;

  constructor(private readonly reports: ReportsService) {
    super();
  }

  async processItem(ctx: ItemContext): Promise<void> {
    const spec = specOf(ctx.task.params);
    const roles = Array.isArray(ctx.task.params.roles) ? (ctx.task.params.roles as string[]) : [];
    // Tasks queued before dedup keys existed: the exact period is the key.
    const key = typeof ctx.task.params.dedup_key === 'string' ? ctx.task.params.dedup_key : reportDedupKey(spec, new Date(spec.period.to.getTime() + 1));
    await this.reports.obtain(spec, key, { sub: ctx.task.createdBy, roles }, {
      waitMs: BACKGROUND_WAIT_MS,
      inTransaction: async (tx, reportId) => {
        await ctx.remember(tx, reportId);
        await ctx.markDone(tx);
      },
    });
  }

  override async complete(tx: EntityManager, task: TaskEntity): Promise<Record<string, unknown> | null> {
    const [item] = (await tx.query('SELECT ref FROM task_items WHERE task_id = $1 AND ref IS NOT NULL ORDER BY seq LIMIT 1', [task.id])) as {
      ref: string;
    }[];
    if (!item) return null;
    const report = await tx.getRepository(ReportEntity).findOneBy({ id: item.ref });
    return report
      ? { report_id: report.id, kind: report.kind, standard: report.standard, sha256: report.sha256.trim(), download_url: `/api/v1/reports/${report.id}` }
      : null;
  }
}

function specOf(params: Record<string, unknown>): ReportSpec {
  const kind = params.kind as ReportKind;
  const standard = (params.standard ?? undefined) as ComplianceStandard | undefined;
  const from = new Date(String(params.from));
  const to = new Date(String(params.to));
  if (!REPORT_KINDS.includes(kind) || (standard !== undefined && !COMPLIANCE_STANDARDS.includes(standard)) || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
    throw new PermanentItemError('the task parameters do not describe a report');
  }
  return { kind, standard, period: { from, to } };
}
