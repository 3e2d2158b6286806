/**
 * The security score: 100 minus the listed deductions, floored at 0. Every rule is here, in one
 * table, so the report can show each deduction with its reason and the README can quote it.
 */

export interface ScoreInput {
  expired: number;
  rotationOverdue: number;
  rotationsFailedInPeriod: number;
  expiring7d: number;
  unused90d: number;
  withoutOwnerOrExpiry: number;
  /** Latest integrity check before the end of the period. */
  integrity: { status: string; failures: number; finishedAt: Date | null } | null;
  /** End of the period: the integrity check must have finished within 7 days before it. */
  asOf: Date;
  auditChainValid: boolean;
  openCriticalFindings: number;
  openWarningFindings: number;
}

export interface ScoreRule {
  id: string;
  /** What one occurrence costs. */
  points: number;
  /** Most the rule can cost in total (equal to `points` for yes/no rules). */
  cap: number;
  description: string;
}

export const SCORE_RULES = {
  expired: { id: 'expired', points: 5, cap: 25, description: 'each expired secret (expires_at <= now)' },
  rotation_overdue: { id: 'rotation_overdue', points: 2, cap: 20, description: 'each secret overdue for rotation (next_rotation_at < now)' },
  rotation_failed: { id: 'rotation_failed', points: 3, cap: 15, description: 'each rotation that failed in the period' },
  expiring_7d: { id: 'expiring_7d', points: 1, cap: 5, description: 'each secret expiring within 7 days' },
  unused_90d: { id: 'unused_90d', points: 1, cap: 5, description: 'each secret older than 90 days whose value was not read in 90 days' },
  no_owner_or_expiry: { id: 'no_owner_or_expiry', points: 1, cap: 5, description: 'each secret without an owner/team tag or without an expiry' },
  integrity_failures: { id: 'integrity_failures', points: 15, cap: 15, description: 'the latest integrity check found problems' },
  integrity_not_completed: { id: 'integrity_not_completed', points: 10, cap: 10, description: 'the latest integrity check did not complete' },
  integrity_stale: { id: 'integrity_stale', points: 5, cap: 5, description: 'no integrity check completed in the 7 days before the end of the period' },
  audit_chain_broken: { id: 'audit_chain_broken', points: 30, cap: 30, description: 'the audit hash chain does not verify' },
  critical_findings: { id: 'critical_findings', points: 10, cap: 30, description: 'each open critical security finding' },
  warning_findings: { id: 'warning_findings', points: 3, cap: 15, description: 'each open warning security finding' },
} as const satisfies Record<string, ScoreRule>;

export interface Deduction {
  rule: string;
  reason: string;
  count: number;
  points_each: number;
  cap: number;
  points: number;
}

export interface SecurityScore {
  score: number;
  deductions: Deduction[];
}

const INTEGRITY_MAX_AGE_MS = 7 * 86_400_000;

/** Applies every rule; only rules that cost points appear in `deductions`. */
export function securityScore(input: ScoreInput): SecurityScore {
  const deductions: Deduction[] = [];
  const per = (rule: ScoreRule, count: number, reason: string) => {
    if (count <= 0) return;
    deductions.push({ rule: rule.id, reason, count, points_each: rule.points, cap: rule.cap, points: Math.min(rule.cap, count * rule.points) });
  };
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

  per(SCORE_RULES.expired, input.expired, `${plural(input.expired, 'secret')} expired`);
  per(SCORE_RULES.rotation_overdue, input.rotationOverdue, `${plural(input.rotationOverdue, 'secret')} overdue for rotation`);
  per(SCORE_RULES.rotation_failed, input.rotationsFailedInPeriod, `${plural(input.rotationsFailedInPeriod, 'rotation')} failed in the period`);
  per(SCORE_RULES.expiring_7d, input.expiring7d, `${plural(input.expiring7d, 'secret')} expiring within 7 days`);
  per(SCORE_RULES.unused_90d, input.unused90d, `${plural(input.unused90d, 'secret')} not used for 90 days`);
  per(SCORE_RULES.no_owner_or_expiry, input.withoutOwnerOrExpiry, `${plural(input.withoutOwnerOrExpiry, 'secret')} without an owner tag or an expiry`);

  const check = input.integrity;
  if (check && check.failures > 0) {
    per(SCORE_RULES.integrity_failures, 1, `the latest integrity check found ${plural(check.failures, 'problem')}`);
  } else if (check && check.status !== 'completed') {
    per(SCORE_RULES.integrity_not_completed, 1, `the latest integrity check is ${check.status}`);
  }
  const fresh = check?.status === 'completed' && check.finishedAt && input.asOf.getTime() - check.finishedAt.getTime() <= INTEGRITY_MAX_AGE_MS;
  if (!fresh) {
    per(SCORE_RULES.integrity_stale, 1, check ? 'no integrity check completed in the last 7 days' : 'no integrity check has ever run');
  }

  if (!input.auditChainValid) per(SCORE_RULES.audit_chain_broken, 1, 'the audit hash chain is broken');
  per(SCORE_RULES.critical_findings, input.openCriticalFindings, `${plural(input.openCriticalFindings, 'open critical finding')}`);
  per(SCORE_RULES.warning_findings, input.openWarningFindings, `${plural(input.openWarningFindings, 'open warning finding')}`);

  const total = deductions.reduce((sum, d) => sum + d.points, 0);
  return { score: Math.max(0, 100 - total), deductions };
}
