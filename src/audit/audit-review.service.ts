import { Injectable, Logger } from '@nestjs/common';
import type { Actor } from '../auth/auth.types.js';
import { AuditRetention } from './audit-retention.service.js';
import { AccessPatternAnalysis } from './findings/access-pattern-analysis.js';

/**
 * The periodic review of the audit log (run by the audit_secrets_access job): the access-pattern
 * analysis, then retention (AUDIT_RETENTION_DAYS). Each part's failure is counted and logged; the
 * other still runs.
 */
@Injectable()
export class AuditReview {
  private readonly logger = new Logger(AuditReview.name);

  constructor(
    private readonly analysis: AccessPatternAnalysis,
    private readonly retention: AuditRetention,
  ) {}

  async run(actor: Actor): Promise<Record<string, number | string>> {
    const counts: Record<string, number | string> = {};
    let errors = 0;
    try {
      Object.assign(counts, await this.analysis.run());
    } catch (e) {
      errors += 1;
      this.logger.error(`access-pattern analysis failed: ${(e as Error).message}`);
    }
    try {
      const pruned = await this.retention.prune(actor);
      counts.audit_rows_pruned = pruned.deleted;
      if (pruned.skipped) counts.prune_skipped = pruned.skipped;
    } catch (e) {
      errors += 1;
      this.logger.error(`audit retention failed: ${(e as Error).message}`);
    }
    counts.errors = errors;
    return counts;
  }
}
