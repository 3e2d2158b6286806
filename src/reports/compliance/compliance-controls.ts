import type { AuditChainResult } from '../audit-chain.js';
import { plural } from '../document-parts.js';
import { formatDateTime } from '../render/pdf-text.js';
import type { ComplianceStandard, ReportMetric, ReportPeriod } from '../reports.types.js';
import type { AuditActivity, FindingCounts, IntegrityResult, Inventory, RotationOutcomes } from '../shared/posture.queries.js';

/**
 * Compliance controls as data plus pure rules. A control's status is the worst status of its
 * rules; each rule states the measured evidence, the condition that decided, and its own text.
 */

export type ControlStatus = 'pass' | 'warn' | 'fail';

export interface ComplianceFacts {
  period: ReportPeriod;
  now: Date;
  auditEnabled: boolean;
  inventory: Inventory;
  rotations: RotationOutcomes;
  activity: AuditActivity;
  chain: AuditChainResult;
  integrity: IntegrityResult | null;
  /** Integrity checks completed in the 35 days before the end of the period. */
  integrityRecent: { count: number; last: Date | null };
  findings: FindingCounts;
  lastAccessReviewAt: Date | null;
  /** The latest recorded review of an access review (who, when, keep/revoke counts). */
  lastAccessReviewSignoff: { reviewedAt: Date; reviewedBy: string; reportId: string; keep: number; revoke: number } | null;
  securityReportsInPeriod: number;
}

export type Evidence = Record<string, ReportMetric>;

export interface RuleOutcome {
  rule: RuleId;
  status: ControlStatus;
  /** Why this status, in one line with the numbers. */
  decided_by: string;
  evidence: Evidence;
}

const DAY = 86_400_000;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const RULE_TEXT = {
  encryption_at_rest:
    'pass: every secret is envelope-encrypted by Strongroom (AES-256-GCM) before storage; warn: some Vault-stored secrets rely on Vault encryption alone (encrypt_locally=false).',
  key_rotation:
    'fail: a key-type secret (ENCRYPTION_KEY, JWT_SECRET, TLS_CERTIFICATE, SERVICE_ACCOUNT_KEY) is expired; warn: a key is overdue for rotation or a key rotation failed in the period; pass otherwise.',
  credential_rotation:
    'fail: a secret is expired or its latest rotation failed; warn: a secret is overdue for rotation or a rotation failed in the period; pass otherwise.',
  integrity:
    'fail: the latest integrity check found problems or did not complete; warn: no integrity check completed in the 35 days before the end of the period; pass otherwise.',
  audit_trail: 'fail: audit logging is disabled; warn: no audit row was written in the period; pass otherwise.',
  audit_tamper: 'fail: the audit hash chain does not verify; pass: every row re-hashes to the chain.',
  monitoring: 'fail: a critical security finding is open; warn: a warning finding is open; pass otherwise.',
  ownership: 'warn: a secret has no owner/team tag (no accountable owner); pass otherwise.',
  access_review:
    'pass: an access review was signed off (reviewed, with a keep or revoke decision per grant) in the 92 days before the end of the period; warn: the latest sign-off is older than 92 days, or a review was generated in those 92 days but not signed off; fail otherwise.',
  security_reporting: 'warn: no security report was stored in the period; pass otherwise.',
} as const;
export type RuleId = keyof typeof RULE_TEXT;

const RULES: Record<RuleId, (f: ComplianceFacts) => RuleOutcome> = {
  encryption_at_rest: (f) => {
    const plain = f.inventory.vaultWithoutLocalEncryption;
    return {
      rule: 'encryption_at_rest',
      status: plain > 0 ? 'warn' : 'pass',
      decided_by: plain > 0 ? `${plural(plain, 'Vault secrets')} without local encryption` : `all ${f.inventory.total} secrets encrypted by Strongroom`,
      evidence: { secrets_total: f.inventory.total, vault_without_local_encryption: plain },
    };
  },
  key_rotation: (f) => {
    const i = f.inventory;
    const status: ControlStatus = i.keysExpired > 0 ? 'fail' : i.keysOverdue > 0 || f.rotations.keysFailed > 0 ? 'warn' : 'pass';
    return {
      rule: 'key_rotation',
      status,
      decided_by:
        status === 'fail'
          ? `${plural(i.keysExpired, 'keys')} expired`
          : status === 'warn'
            ? `${plural(i.keysOverdue, 'keys')} overdue, ${plural(f.rotations.keysFailed, 'key rotations')} failed`
            : `${plural(i.keysTotal, 'keys')}, none expired or overdue`,
      evidence: {
        key_secrets: i.keysTotal,
        keys_expired: i.keysExpired,
        keys_rotation_overdue: i.keysOverdue,
        key_rotations_completed: f.rotations.keysCompleted,
        key_rotations_failed: f.rotations.keysFailed,
      },
    };
  },
  credential_rotation: (f) => {
    const i = f.inventory;
    const status: ControlStatus =
      i.expired > 0 || i.rotationFailedNow > 0 ? 'fail' : i.rotationOverdue > 0 || f.rotations.failed > 0 ? 'warn' : 'pass';
    return {
      rule: 'credential_rotation',
      status,
      decided_by:
        status === 'fail'
          ? `${i.expired} expired, ${i.rotationFailedNow} with a failed latest rotation`
          : status === 'warn'
            ? `${i.rotationOverdue} overdue, ${plural(f.rotations.failed, 'rotations')} failed in the period`
            : `${i.total} secrets, none expired, overdue or failing`,
      evidence: {
        secrets_total: i.total,
        expired: i.expired,
        rotation_overdue: i.rotationOverdue,
        latest_rotation_failed: i.rotationFailedNow,
        rotations_completed: f.rotations.completed,
        rotations_failed: f.rotations.failed,
      },
    };
  },
  integrity: (f) => {
    const c = f.integrity;
    const broken = c !== null && (c.failures > 0 || c.status === 'failed');
    const status: ControlStatus = broken ? 'fail' : f.integrityRecent.count === 0 ? 'warn' : 'pass';
    return {
      rule: 'integrity',
      status,
      decided_by: broken
        ? `latest check ${c!.status} with ${plural(c!.failures, 'problems')}`
        : status === 'warn'
          ? 'no integrity check completed in the last 35 days of the period'
          : `${plural(f.integrityRecent.count, 'checks')} completed, latest without problems`,
      evidence: {
        latest_check_at: iso(c?.startedAt ?? null),
        latest_check_status: c?.status ?? null,
        latest_check_problems: c ? c.failures : null,
        checks_completed_35d: f.integrityRecent.count,
      },
    };
  },
  audit_trail: (f) => ({
    rule: 'audit_trail',
    status: !f.auditEnabled ? 'fail' : f.activity.events === 0 ? 'warn' : 'pass',
    decided_by: !f.auditEnabled ? 'audit logging is disabled' : `${plural(f.activity.events, 'audit rows')} in the period`,
    evidence: {
      audit_logging: f.auditEnabled,
      audit_events: f.activity.events,
      value_reads: f.activity.valueReads,
      first_event_at: iso(f.activity.first),
      last_event_at: iso(f.activity.last),
    },
  }),
  audit_tamper: (f) => ({
    rule: 'audit_tamper',
    status: f.chain.valid ? 'pass' : 'fail',
    decided_by: f.chain.valid ? `${plural(f.chain.checked, 'rows')} verified` : `chain broken at row ${f.chain.first_invalid_id}: ${f.chain.reason}`,
    evidence: { audit_chain_valid: f.chain.valid, audit_rows_verified: f.chain.checked, first_invalid_row: f.chain.first_invalid_id },
  }),
  monitoring: (f) => ({
    rule: 'monitoring',
    status: f.findings.openCritical > 0 ? 'fail' : f.findings.openWarning > 0 ? 'warn' : 'pass',
    decided_by: `${f.findings.openCritical} critical and ${plural(f.findings.openWarning, 'warning findings')} open`,
    evidence: {
      open_critical_findings: f.findings.openCritical,
      open_warning_findings: f.findings.openWarning,
      findings_detected: f.findings.detectedInPeriod,
      denied_requests: f.activity.denied,
    },
  }),
  ownership: (f) => ({
    rule: 'ownership',
    status: f.inventory.withoutOwner > 0 ? 'warn' : 'pass',
    decided_by: `${f.inventory.withoutOwner} of ${plural(f.inventory.total, 'secrets')} without an owner/team tag`,
    evidence: { secrets_total: f.inventory.total, without_owner: f.inventory.withoutOwner },
  }),
  access_review: (f) => {
    // Evidence of review, not only of a list: a signed-off review within a quarter passes; a
    // generated but unsigned one, or a signed one older than a quarter, warns; none in six months fails.
    const at = f.lastAccessReviewAt;
    const signed = f.lastAccessReviewSignoff;
    const ageDays = (d: Date | null | undefined) => (d ? (f.period.to.getTime() - d.getTime()) / DAY : null);
    const generatedAge = ageDays(at);
    const signedAge = ageDays(signed?.reviewedAt);
    const status: ControlStatus =
      signedAge !== null && signedAge <= 92 ? 'pass' : (signedAge !== null && signedAge <= 183) || (generatedAge !== null && generatedAge <= 92) ? 'warn' : 'fail';
    const decided = signed
      ? `latest access review signed off ${formatDateTime(signed.reviewedAt.toISOString())} by ${signed.reviewedBy} (${plural(signed.keep, 'grants')} kept, ${signed.revoke} to revoke)`
      : at
        ? `latest access review generated ${formatDateTime(at.toISOString())}, not signed off`
        : 'no access review has been generated';
    return {
      rule: 'access_review',
      status,
      decided_by: decided,
      evidence: {
        last_access_review_at: iso(at),
        last_signed_off_at: iso(signed?.reviewedAt ?? null),
        signed_off_by: signed?.reviewedBy ?? null,
        grants_kept: signed ? signed.keep : null,
        grants_to_revoke: signed ? signed.revoke : null,
      },
    };
  },
  security_reporting: (f) => ({
    rule: 'security_reporting',
    status: f.securityReportsInPeriod > 0 ? 'pass' : 'warn',
    decided_by: `${plural(f.securityReportsInPeriod, 'security reports')} stored in the period`,
    evidence: { security_reports: f.securityReportsInPeriod },
  }),
};

export interface ControlDefinition {
  id: string;
  title: string;
  rules: RuleId[];
}

export const STANDARDS: Record<ComplianceStandard, { name: string; controls: ControlDefinition[] }> = {
  pci_dss: {
    name: 'PCI DSS v4.0',
    controls: [
      { id: '3.5', title: 'Stored secrets are rendered unreadable (encryption at rest)', rules: ['encryption_at_rest'] },
      { id: '3.6', title: 'Cryptographic keys are secured (integrity of stored key material)', rules: ['integrity'] },
      { id: '3.7', title: 'Key management: cryptoperiods and key changes (3.7.4)', rules: ['key_rotation'] },
      { id: '7.2.4', title: 'Access privileges are reviewed at least every six months', rules: ['access_review'] },
      { id: '8.3', title: 'Credentials are changed periodically (8.3.9, 8.6.3)', rules: ['credential_rotation'] },
      { id: '10.2', title: 'Audit logs record access to secrets', rules: ['audit_trail'] },
      { id: '10.3', title: 'Audit logs are protected from modification', rules: ['audit_tamper'] },
      { id: '10.4', title: 'Audit logs are reviewed for anomalies', rules: ['monitoring'] },
    ],
  },
  soc2: {
    name: 'SOC 2 (Trust Services Criteria 2017)',
    controls: [
      { id: 'CC6.1', title: 'Logical access security: secrets encrypted and owned', rules: ['encryption_at_rest', 'ownership'] },
      { id: 'CC6.3', title: 'Access is reviewed and removed when no longer needed', rules: ['access_review'] },
      { id: 'CC6.6', title: 'Credentials protecting system boundaries are rotated and valid', rules: ['credential_rotation', 'key_rotation'] },
      { id: 'CC7.1', title: 'Unauthorised changes to stored secrets are detected', rules: ['integrity'] },
      { id: 'CC7.2', title: 'Security events are monitored on a complete, tamper-evident audit trail', rules: ['audit_trail', 'audit_tamper', 'monitoring'] },
    ],
  },
  gdpr: {
    name: 'GDPR',
    controls: [
      { id: 'Art. 32(1)(a)', title: 'Encryption and key management', rules: ['encryption_at_rest', 'key_rotation'] },
      { id: 'Art. 32(1)(b)', title: 'Ongoing confidentiality and integrity of processing systems', rules: ['integrity', 'credential_rotation'] },
      { id: 'Art. 32(1)(d)', title: 'Regular testing and evaluation of security measures', rules: ['security_reporting', 'access_review'] },
      { id: 'Art. 5(2)', title: 'Accountability: who accessed which secret is recorded', rules: ['audit_trail', 'audit_tamper', 'ownership'] },
      { id: 'Art. 33', title: 'Breach detection (readiness to notify)', rules: ['monitoring'] },
    ],
  },
  hipaa: {
    name: 'HIPAA Security Rule',
    controls: [
      { id: '164.308(a)(1)(ii)(D)', title: 'Information system activity review', rules: ['monitoring', 'security_reporting'] },
      { id: '164.308(a)(5)(ii)(D)', title: 'Password management', rules: ['credential_rotation'] },
      { id: '164.312(a)(1)', title: 'Access control (accountable owners, periodic review)', rules: ['ownership', 'access_review'] },
      { id: '164.312(a)(2)(iv)', title: 'Encryption and decryption', rules: ['encryption_at_rest', 'key_rotation'] },
      { id: '164.312(b)', title: 'Audit controls', rules: ['audit_trail', 'audit_tamper'] },
      { id: '164.312(c)(1)', title: 'Integrity', rules: ['integrity'] },
    ],
  },
};

export interface ControlResult {
  id: string;
  title: string;
  status: ControlStatus;
  outcomes: RuleOutcome[];
}

const RANK: Record<ControlStatus, number> = { pass: 0, warn: 1, fail: 2 };

export function worst(statuses: ControlStatus[]): ControlStatus {
  return statuses.reduce<ControlStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), 'pass');
}

export function evaluateControls(standard: ComplianceStandard, facts: ComplianceFacts): ControlResult[] {
  const outcomes = new Map<RuleId, RuleOutcome>();
  const outcome = (id: RuleId) => {
    if (!outcomes.has(id)) outcomes.set(id, RULES[id](facts));
    return outcomes.get(id)!;
  };
  return STANDARDS[standard].controls.map((c) => {
    const results = c.rules.map(outcome);
    return { id: c.id, title: c.title, status: worst(results.map((r) => r.status)), outcomes: results };
  });
}

/** Every rule evaluated once (for the evidence table). */
export function evaluateRules(facts: ComplianceFacts, ids: RuleId[]): RuleOutcome[] {
  return ids.map((id) => RULES[id](facts));
}
