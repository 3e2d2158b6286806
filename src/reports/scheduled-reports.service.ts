import { Injectable, Logger } from '@nestjs/common';
import type { Actor } from '../auth/auth.types.js';
import { defaultPeriod } from './report-period.js';
import { reportDedupKey } from './report-dedup.js';
import { BACKGROUND_WAIT_MS, ReportsService } from './reports.service.js';
import { COMPLIANCE_STANDARDS, type ComplianceStandard, type ReportKind } from './reports.types.js';

/**
 * The scheduled reports (jobs in scheduled-reports.job.ts): the kind's scheduled period ending at
 * the run's slot, stored with its own report.generated audit row.
 */
@Injectable()
export class ScheduledReports {
  private readonly logger = new Logger(ScheduledReports.name);

  constructor(private readonly reports: ReportsService) {}

  /**
   * One report of `kind` for `slot` (compliance: one summary per standard; a failing standard is
   * counted and the others still run). Returns the run's counts.
   */
  async generate(kind: ReportKind, slot: Date, actor: Actor): Promise<Record<string, number | string>> {
    if (kind !== 'compliance') {
      const { id, score } = await this.one(kind, slot, actor);
      return kind === 'security' ? { reports: 1, report_id: id, security_score: Number(score) } : { reports: 1, report_id: id };
    }
    let reports = 0;
    let errors = 0;
    for (const standard of COMPLIANCE_STANDARDS) {
      try {
        await this.one('compliance', slot, actor, standard);
        reports += 1;
      } catch (e) {
        errors += 1;
        this.logger.error(`compliance summary ${standard} failed: ${(e as Error).message}`);
      }
    }
    if (reports === 0) throw new Error('no compliance summary could be generated');
    return { reports, errors };
  }

  private async one(kind: ReportKind, slot: Date, actor: Actor, standard?: ComplianceStandard): Promise<{ id: string; score: unknown }> {
    const spec = { kind, standard, period: defaultPeriod(kind, slot) };
    // A slot's period is fixed, so it is its own key: a rerun of the slot finds the stored report.
    const key = reportDedupKey(spec, new Date(spec.period.to.getTime() + 1));
    const { doc } = await this.reports.obtain(spec, key, actor, { waitMs: BACKGROUND_WAIT_MS });
    return { id: doc.id, score: doc.metrics.security_score };
  }
}
