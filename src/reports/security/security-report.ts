import type { ChainCheck } from '../audit-chain.js';
import type { IncidentsService } from '../../incidents/incidents.service.js';
import { DAY_MS } from '../document-parts.js';
import type { ReportBody, ReportPeriod } from '../reports.types.js';
import {
  auditActivity,
  type Db,
  findingCounts,
  inventory,
  latestIntegrityCheck,
  liveSecretsByTypeAndStore,
  rotationOutcomes,
  rotationsPerDay,
} from '../shared/posture.queries.js';
import { buildSecurityReport, type SecurityFacts } from './security-report.builder.js';
import * as q from './security-report.queries.js';

/** The 30 UTC days ending with the period (for the rotations-per-day chart). */
export function chartWindow(period: ReportPeriod): ReportPeriod {
  const end = period.to;
  const endDay = Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate());
  return { from: new Date(endDay - 29 * DAY_MS), to: end };
}

/** What the security report needs of the incidents module: the incidents of the period. */
export type IncidentsOfPeriod = Pick<IncidentsService, 'inPeriod'>;

/** Gathers the security report's figures (aggregate queries) and lays out the document. */
export async function securityReport(db: Db, period: ReportPeriod, now: Date, chain: ChainCheck, incidents: IncidentsOfPeriod): Promise<ReportBody> {
  const window = chartWindow(period);
  const [inv, byTypeAndStore, expired, expiring30d, overdue, neverRotated, unused, unusedCount, withoutOwnerOrExpiry] = await Promise.all([
    inventory(db, now),
    liveSecretsByTypeAndStore(db),
    q.expiredSecrets(db, now),
    q.expiringSecrets(db, now, 30),
    q.overdueSecrets(db, now),
    q.neverRotatedSecrets(db),
    q.unusedSecrets(db, now),
    q.unusedSecretsCount(db, now),
    q.secretsWithoutOwnerOrExpiry(db),
  ]);
  const [rotations, rotationGroups, failedRotations, failureReasons, perDay, activity, integrity, counts, findings, previous] = await Promise.all([
    rotationOutcomes(db, period),
    q.rotationsByStatusAndTrigger(db, period),
    q.failedRotations(db, period),
    q.failureReasons(db, period),
    rotationsPerDay(db, window),
    auditActivity(db, period),
    latestIntegrityCheck(db, period.to),
    findingCounts(db, period),
    q.findings(db, period),
    q.previousSecurityReport(db, now),
  ]);
  const churn = previous ? await q.churnSince(db, previous.generatedAt, now) : null;
  const incidentRows = await incidents.inPeriod(period.from, period.to);
  const verdict = await chain.verifyChain();

  const facts: SecurityFacts = {
    period,
    now,
    inventory: inv,
    byTypeAndStore,
    expired,
    expiring30d,
    overdue,
    neverRotated,
    unused,
    unusedCount,
    withoutOwnerOrExpiry,
    rotations,
    rotationGroups,
    failedRotations,
    failureReasons,
    chartWindow: window,
    rotationsPerDay: perDay,
    valueReads: activity.valueReads,
    integrity,
    chain: verdict,
    findingCounts: counts,
    findings,
    previous,
    churn,
    incidents: incidentRows,
  };
  return buildSecurityReport(facts);
}
