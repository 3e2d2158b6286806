import { describe, expect, it } from 'vitest';
import { type ScoreInput, securityScore } from './security-score.js';

const asOf = new Date('2026-09-29T10:00:00Z');
const clean: ScoreInput = {
  expired: 0,
  rotationOverdue: 0,
  rotationsFailedInPeriod: 0,
  expiring7d: 0,
  unused90d: 0,
  withoutOwnerOrExpiry: 0,
  integrity: { status: 'completed', failures: 0, finishedAt: new Date('2026-09-28T03:00:00Z') },
  asOf,
  auditChainValid: true,
  openCriticalFindings: 0,
  openWarningFindings: 0,
};

describe('securityScore', () => {
  it('is 100 with nothing to deduct', () => {
    expect(securityScore(clean)).toEqual({ score: 100, deductions: [] });
  });

  it('lists every deduction with its count, points and reason', () => {
    const { score, deductions } = securityScore({ ...clean, expired: 1, rotationOverdue: 2, rotationsFailedInPeriod: 1, openWarningFindings: 1 });
    expect(deductions.map((d) => [d.rule, d.count, d.points])).toEqual([
      ['expired', 1, 5],
      ['rotation_overdue', 2, 4],
      ['rotation_failed', 1, 3],
      ['warning_findings', 1, 3],
    ]);
    expect(deductions[0]!.reason).toBe('1 secret expired');
    expect(score).toBe(100 - 15);
  });

  it('caps each rule and floors the score at 0', () => {
    const { score, deductions } = securityScore({
      ...clean,
      expired: 1000,
      rotationOverdue: 1000,
      openCriticalFindings: 50,
      auditChainValid: false,
      integrity: { status: 'completed', failures: 3, finishedAt: asOf },
    });
    expect(deductions.find((d) => d.rule === 'expired')!.points).toBe(25);
    expect(deductions.find((d) => d.rule === 'critical_findings')!.points).toBe(30);
    expect(deductions.find((d) => d.rule === 'integrity_failures')!.reason).toMatch(/3 problems/);
    expect(score).toBe(0);
  });

  it('deducts for a missing, stale or unfinished integrity check', () => {
    expect(securityScore({ ...clean, integrity: null }).deductions).toEqual([
      expect.objectContaining({ rule: 'integrity_stale', points: 5, reason: 'no integrity check has ever run' }),
    ]);
    const stale = securityScore({ ...clean, integrity: { status: 'completed', failures: 0, finishedAt: new Date('2026-09-01T00:00:00Z') } });
    expect(stale.score).toBe(95);
    const running = securityScore({ ...clean, integrity: { status: 'running', failures: 0, finishedAt: null } });
    expect(running.deductions.map((d) => d.rule)).toEqual(['integrity_not_completed', 'integrity_stale']);
  });
});
