import { describe, expect, it } from 'vitest';
import { COMPLIANCE_STANDARDS } from '../reports.types.js';
import type { Inventory } from '../shared/posture.queries.js';
import { type ComplianceFacts, evaluateControls, STANDARDS, worst } from './compliance-controls.js';

const to = new Date('2026-11-01T00:00:00Z');
const inventory: Inventory = {
  total: 10,
  expired: 0,
  expiring7d: 0,
  expiring30d: 0,
  rotationOverdue: 0,
  neverRotated: 0,
  rotationFailedNow: 0,
  withoutOwner: 0,
  withoutExpiry: 0,
  withoutOwnerOrExpiry: 0,
  keysTotal: 3,
  keysExpired: 0,
  keysOverdue: 0,
  oldestRotationAt: null,
  vaultWithoutLocalEncryption: 0,
};
const healthy: ComplianceFacts = {
  period: { from: new Date('2026-10-01T00:00:00Z'), to },
  now: to,
  auditEnabled: true,
  inventory,
  rotations: { completed: 4, failed: 0, keysCompleted: 1, keysFailed: 0 },
  activity: { events: 120, valueReads: 30, denied: 2, valueReaders: 3, first: null, last: null },
  chain: { valid: true, checked: 500, first_invalid_id: null, reason: null, unsealed: 0 },
  integrity: {
    id: 'chk_1',
    status: 'completed',
    startedAt: new Date('2026-10-25T03:00:00Z'),
    finishedAt: new Date('2026-10-25T03:05:00Z'),
    triggeredBy: 'system:validate_secret_integrity',
    secretsChecked: 10,
    versionsChecked: 14,
    failures: 0,
    problems: [],
    failed: [],
  },
  integrityRecent: { count: 1, last: new Date('2026-10-25T03:05:00Z') },
  findings: { open: 0, openCritical: 0, openWarning: 0, openInfo: 0, detectedInPeriod: 0 },
  lastAccessReviewAt: new Date('2026-10-01T08:00:00Z'),
  lastAccessReviewSignoff: { reviewedAt: new Date('2026-10-02T09:00:00Z'), reviewedBy: 'auditor-1', reportId: 'rpt_1', keep: 5, revoke: 1 },
  securityReportsInPeriod: 31,
};
const statuses = (facts: ComplianceFacts, standard: (typeof COMPLIANCE_STANDARDS)[number]) =>
  Object.fromEntries(evaluateControls(standard, facts).map((c) => [c.id, c.status]));

describe('compliance controls', () => {
  it('passes every control of every standard on a healthy inventory', () => {
    for (const standard of COMPLIANCE_STANDARDS) {
      expect(evaluateControls(standard, healthy).every((c) => c.status === 'pass')).toBe(true);
    }
    expect(STANDARDS.pci_dss.controls.map((c) => c.id)).toEqual(['3.5', '3.6', '3.7', '7.2.4', '8.3', '10.2', '10.3', '10.4']);
    expect(STANDARDS.soc2.controls.map((c) => c.id)).toEqual(['CC6.1', 'CC6.3', 'CC6.6', 'CC7.1', 'CC7.2']);
  });

  it('decides PCI DSS 3.7 / 8.3 from keys and credentials: expired fails, overdue warns', () => {
    expect(statuses({ ...healthy, inventory: { ...inventory, keysOverdue: 1, rotationOverdue: 1 } }, 'pci_dss')).toMatchObject({ '3.7': 'warn', '8.3': 'warn' });
    expect(statuses({ ...healthy, inventory: { ...inventory, keysExpired: 1, expired: 1 } }, 'pci_dss')).toMatchObject({ '3.7': 'fail', '8.3': 'fail' });
    expect(statuses({ ...healthy, rotations: { ...healthy.rotations, failed: 2 } }, 'pci_dss')).toMatchObject({ '3.7': 'pass', '8.3': 'warn' });
    expect(statuses({ ...healthy, inventory: { ...inventory, rotationFailedNow: 1 } }, 'pci_dss')['8.3']).toBe('fail');
  });

  it('decides audit trail, integrity, monitoring and access review', () => {
    expect(statuses({ ...healthy, chain: { valid: false, checked: 10, first_invalid_id: '11', reason: 'edited', unsealed: 0 } }, 'pci_dss')['10.3']).toBe('fail');
    expect(statuses({ ...healthy, auditEnabled: false }, 'hipaa')['164.312(b)']).toBe('fail');
    expect(statuses({ ...healthy, integrityRecent: { count: 0, last: null } }, 'pci_dss')['3.6']).toBe('warn');
    expect(statuses({ ...healthy, integrity: { ...healthy.integrity!, failures: 2 } }, 'soc2')['CC7.1']).toBe('fail');
    expect(statuses({ ...healthy, findings: { ...healthy.findings, openWarning: 1 } }, 'soc2')['CC7.2']).toBe('warn');
    // Review evidence: a sign-off within a quarter passes; an unsigned recent review, or an older sign-off, warns.
    const oldSignoff = { ...healthy.lastAccessReviewSignoff!, reviewedAt: new Date('2026-06-15T00:00:00Z') };
    expect(statuses(healthy, 'pci_dss')['7.2.4']).toBe('pass');
    expect(statuses({ ...healthy, lastAccessReviewSignoff: oldSignoff }, 'pci_dss')['7.2.4']).toBe('warn');
    expect(statuses({ ...healthy, lastAccessReviewSignoff: null }, 'soc2')['CC6.3']).toBe('warn');
    expect(statuses({ ...healthy, lastAccessReviewSignoff: null, lastAccessReviewAt: new Date('2026-06-15T00:00:00Z') }, 'pci_dss')['7.2.4']).toBe('fail');
    expect(statuses({ ...healthy, lastAccessReviewSignoff: null, lastAccessReviewAt: null }, 'pci_dss')['7.2.4']).toBe('fail');
  });

  it('takes the worst rule of a control and explains each with its evidence', () => {
    const [cc61] = evaluateControls('soc2', { ...healthy, inventory: { ...inventory, withoutOwner: 4 } });
    expect(cc61).toMatchObject({ id: 'CC6.1', status: 'warn' });
    expect(cc61!.outcomes.map((o) => [o.rule, o.status])).toEqual([
      ['encryption_at_rest', 'pass'],
      ['ownership', 'warn'],
    ]);
    expect(cc61!.outcomes[1]!.evidence).toEqual({ secrets_total: 10, without_owner: 4 });
    expect(cc61!.outcomes[1]!.decided_by).toBe('4 of 10 secrets without an owner/team tag');
    expect(worst(['pass', 'fail', 'warn'])).toBe('fail');
  });
});
