import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AlertKind } from '../../alerts/alert.types.js';
import { Clock, DAY_MS } from '../../clock/clock.js';
import { AuditAction } from '../../audit-log/audit-catalogue.js';
import { AuditSealer } from '../sealer/audit-sealer.js';
import type { FindingKind } from './security-finding.entity.js';
import { type NewFinding, SecurityFindings } from './security-findings.service.js';

const HOUR_MS = 3_600_000;

/** The analysed window: the job's own cadence (every 12 hours), so each event is judged once. */
export const ANALYSIS_WINDOW_MS = 12 * HOUR_MS;
/** An actor's "usual" is its own behaviour over the 7 days before the window. */
export const BASELINE_DAYS = 7;
/** A value-read spike needs at least this many value reads in the window (ignores small numbers)... */
export const SPIKE_MIN_READS = 20;
/** ...and this many times the actor's average per 12-hour window over its baseline (taken as at least 1). */
export const SPIKE_FACTOR = 5;
/** Denied requests (401, 403, 429) from one actor or one client address in the window. */
export const DENIAL_THRESHOLD = 10;
/** An actor's hours mean something only with this many baseline events; fewer, no unusual-hour finding. */
export const UNUSUAL_HOUR_MIN_BASELINE = 10;
/** Hours within ±1 of an hour the actor was active in are usual too (a shifted day is not alarming). */
export const USUAL_HOUR_TOLERANCE = 1;

/** Rows by these actors are not judged per actor: the anonymous caller and the service's own jobs. */
const PERSON = `actor <> 'anonymous' AND actor NOT LIKE 'system:%'`;
const VALUE_READ = `'${AuditAction.SecretValueRead}'`;

type DetectorKind = Exclude<FindingKind, 'integrity_failure' | 'audit_chain_broken'>;
export type AnalysisCounts = Record<DetectorKind | 'new_findings', number>;

const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);
const key = (kind: FindingKind, ...parts: string[]) => `${kind}:${digest(parts.join('\n'))}`;

/**
 * audit_secrets_access: SQL aggregations over audit_events (indexes on occurred_at, actor, action,
 * secret_id) that look for access patterns worth a human's attention, each recorded as a security
 * finding (deduplicated) that raises an access_pattern alert:
 *  - value_read_spike: an actor reading many more secret values than its own 7-day baseline;
 *  - repeated_denials: many denied requests from one actor or one client address;
 *  - unusual_hour: activity at an hour of day (UTC) the actor was never active at in its baseline;
 *  - deleted_or_expired_read: reads of a secret after it was deleted or purged, or after it expired;
 *  - new_actor: secret values read by an actor the log had never seen before.
 */
@Injectable()
export class AccessPatternAnalysis {
  private readonly logger = new Logger(AccessPatternAnalysis.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly findings: SecurityFindings,
    private readonly clock: Clock,
    private readonly sealer: AuditSealer,
  ) {}

  async run(now: Date = this.clock.now()): Promise<AnalysisCounts> {
    // Some rules order events by seq (a read after the secret's deletion): seal what has committed
    // first, so the newest rows are judged now rather than missed until the next run.
    await this.sealer.sealNow();
    const end = now;
    const start = new Date(end.getTime() - ANALYSIS_WINDOW_MS);
    const baseStart = new Date(start.getTime() - BASELINE_DAYS * DAY_MS);
    // Window-level findings are keyed by the 12-hour slot the run falls in: a second run in the same
    // slot finds the same thing again and stores nothing new.
    const slot = new Date(Math.floor(end.getTime() / ANALYSIS_WINDOW_MS) * ANALYSIS_WINDOW_MS).toISOString();
    const w = { start, end, baseStart, slot };

    const found: NewFinding[] = [
      ...(await this.valueReadSpikes(w)),
      ...(await this.repeatedDenials(w)),
      ...(await this.unusualHours(w)),
      ...(await this.deletedOrExpiredReads(w)),
      ...(await this.newActors(w)),
    ];
    const counts: AnalysisCounts = {
      value_read_spike: 0,
      repeated_denials: 0,
      unusual_hour: 0,
      deleted_or_expired_read: 0,
      new_actor: 0,
      new_findings: 0,
    };
    for (const f of found) {
      counts[f.kind as DetectorKind] += 1;
      if (await this.findings.record(f, AlertKind.AccessPattern)) counts.new_findings += 1;
    }
    if (counts.new_findings > 0) this.logger.warn(`access-pattern analysis: ${counts.new_findings} new finding(s)`);
    return counts;
  }

  private async valueReadSpikes(w: Window): Promise<NewFinding[]> {
    const windows = (BASELINE_DAYS * DAY_MS) / ANALYSIS_WINDOW_MS;
    const rows = (await this.dataSource.query(
      `WITH win AS (
         SELECT actor, count(*)::int AS n, max(client_ip) AS ip
         FROM audit_events
         WHERE action = ${VALUE_READ} AND outcome = 'success' AND occurred_at >= $1 AND occurred_at <= $2 AND ${PERSON}
         GROUP BY actor HAVING count(*) >= $4
       ), base AS (
         SELECT e.actor, count(*)::int AS n
         FROM audit_events e JOIN win ON win.actor = e.actor
         WHERE e.action = ${VALUE_READ} AND e.outcome = 'success' AND e.occurred_at >= $3 AND e.occurred_at < $1
         GROUP BY e.actor
       )
       SELECT win.actor, win.n, win.ip, coalesce(base.n, 0) AS baseline
       FROM win LEFT JOIN base ON base.actor = win.actor
       WHERE win.n >= $5 * greatest(coalesce(base.n, 0)::float8 / $6, 1)
       ORDER BY win.actor`,
      [w.start, w.end, w.baseStart, SPIKE_MIN_READS, SPIKE_FACTOR, windows],
    )) as { actor: string; n: number; ip: string | null; baseline: number }[];
    return rows.map((r) => {
      const average = Math.round((r.baseline / windows) * 100) / 100;
      return {
        kind: 'value_read_spike',
        severity: 'warning',
        summary: `${r.actor} read ${r.n} secret values in 12 hours (7-day average: ${average} per 12 hours)`,
        actor: r.actor,
        clientIp: r.ip,
        details: { window_reads: r.n, baseline_reads: r.baseline, baseline_average: average, window_start: w.start.toISOString() },
        dedupeKey: key('value_read_spike', r.actor, w.slot),
      };
    });
  }

  private async repeatedDenials(w: Window): Promise<NewFinding[]> {
    const rows = (await this.dataSource.query(
      `SELECT 'actor' AS by, actor AS subject, count(*)::int AS n, array_agg(DISTINCT action ORDER BY action) AS actions, max(client_ip) AS ip
       FROM audit_events
       WHERE outcome = 'denied' AND occurred_at >= $1 AND occurred_at <= $2 AND ${PERSON}
       GROUP BY actor HAVING count(*) >= $3
       UNION ALL
       SELECT 'ip', client_ip, count(*)::int, array_agg(DISTINCT action ORDER BY action), client_ip
       FROM audit_events
       WHERE outcome = 'denied' AND occurred_at >= $1 AND occurred_at <= $2 AND client_ip IS NOT NULL
       GROUP BY client_ip HAVING count(*) >= $3
       ORDER BY 1, 2`,
      [w.start, w.end, DENIAL_THRESHOLD],
    )) as { by: 'actor' | 'ip'; subject: string; n: number; actions: string[]; ip: string | null }[];
    return rows.map((r) => ({
      kind: 'repeated_denials',
      severity: 'warning',
      summary: `${r.n} denied requests in 12 hours from ${r.by === 'actor' ? `actor ${r.subject}` : `address ${r.subject}`}`,
      actor: r.by === 'actor' ? r.subject : null,
      clientIp: r.ip,
      details: { by: r.by, denied: r.n, actions: r.actions, window_start: w.start.toISOString() },
      dedupeKey: key('repeated_denials', r.by, r.subject, w.slot),
    }));
  }

  private async unusualHours(w: Window): Promise<NewFinding[]> {
    const rows = (await this.dataSource.query(
      `WITH base AS (
         SELECT actor, array_agg(DISTINCT extract(hour FROM occurred_at AT TIME ZONE 'UTC')::int) AS hours
         FROM audit_events
         WHERE occurred_at >= $3 AND occurred_at < $1 AND outcome = 'success' AND ${PERSON}
         GROUP BY actor HAVING count(*) >= $4
       ), win AS (
         SELECT actor, date_trunc('hour', occurred_at AT TIME ZONE 'UTC') AS hour_start,
                extract(hour FROM occurred_at AT TIME ZONE 'UTC')::int AS h, count(*)::int AS n,
                count(*) FILTER (WHERE action = ${VALUE_READ})::int AS value_reads, max(client_ip) AS ip
         FROM audit_events
         WHERE occurred_at >= $1 AND occurred_at <= $2 AND ${PERSON}
         GROUP BY 1, 2, 3
       )
       SELECT win.actor, to_char(win.hour_start, 'YYYY-MM-DD"T"HH24:00:00"Z"') AS hour_start, win.h, win.n, win.value_reads, win.ip, base.hours
       FROM win JOIN base ON base.actor = win.actor
       WHERE NOT EXISTS (
         SELECT 1 FROM generate_series(-$5::int, $5::int) d WHERE ((win.h + d + 24) % 24) = ANY(base.hours))
       ORDER BY win.actor, win.hour_start`,
      [w.start, w.end, w.baseStart, UNUSUAL_HOUR_MIN_BASELINE, USUAL_HOUR_TOLERANCE],
    )) as { actor: string; hour_start: string; h: number; n: number; value_reads: number; ip: string | null; hours: number[] }[];
    return rows.map((r) => ({
      kind: 'unusual_hour',
      severity: 'warning',
      summary: `${r.actor} was active at ${String(r.h).padStart(2, '0')}:00 UTC (${r.n} requests), outside its usual hours`,
      actor: r.actor,
      clientIp: r.ip,
      details: { hour_start: r.hour_start, hour_utc: r.h, requests: r.n, value_reads: r.value_reads, usual_hours_utc: [...r.hours].sort((a, b) => a - b).map(String) },
      dedupeKey: key('unusual_hour', r.actor, r.hour_start),
    }));
  }

  private async deletedOrExpiredReads(w: Window): Promise<NewFinding[]> {
    // Deletion comes from the log itself (the newest of created/deleted/purged/restored before the
    // read); expiry from the secret's expires_at, read-only.
    const rows = (await this.dataSource.query(
      `SELECT e.actor, e.secret_id, max(e.secret_name) AS secret_name, 'deleted' AS state, count(*)::int AS n,
              to_char(min(e.occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, max(e.client_ip) AS ip
       FROM audit_events e
       JOIN LATERAL (
         SELECT d.action FROM audit_events d
         WHERE d.secret_id = e.secret_id AND d.seq < e.seq AND d.outcome = 'success'
           AND d.action IN ('${AuditAction.SecretCreated}', '${AuditAction.SecretDeleted}', '${AuditAction.SecretPurged}', '${AuditAction.SecretRestored}')
         ORDER BY d.seq DESC LIMIT 1
       ) last ON last.action IN ('${AuditAction.SecretDeleted}', '${AuditAction.SecretPurged}')
       WHERE e.action IN (${VALUE_READ}, '${AuditAction.SecretRead}') AND e.secret_id IS NOT NULL
         AND e.occurred_at >= $1 AND e.occurred_at <= $2
       GROUP BY e.actor, e.secret_id, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
       UNION ALL
       SELECT e.actor, e.secret_id, max(e.secret_name), 'expired', count(*)::int,
              to_char(min(e.occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), max(e.client_ip)
       FROM audit_events e JOIN secrets s ON s.id = e.secret_id
       WHERE e.action = ${VALUE_READ} AND e.outcome = 'success' AND s.expires_at IS NOT NULL AND e.occurred_at >= s.expires_at
         AND e.occurred_at >= $1 AND e.occurred_at <= $2
       GROUP BY e.actor, e.secret_id, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
       ORDER BY 1, 2, 4`,
      [w.start, w.end],
    )) as { actor: string; secret_id: string; secret_name: string | null; state: 'deleted' | 'expired'; n: number; day: string; ip: string | null }[];
    return rows.map((r) => ({
      kind: 'deleted_or_expired_read',
      severity: 'warning',
      summary: `${r.actor} tried to read ${r.state} secret ${r.secret_name ?? r.secret_id} (${r.n} time${r.n === 1 ? '' : 's'})`,
      actor: r.actor,
      clientIp: r.ip,
      secretId: r.secret_id,
      details: { state: r.state, reads: r.n, day: r.day, secret_name: r.secret_name },
      dedupeKey: key('deleted_or_expired_read', r.actor, r.secret_id, r.state, r.day),
    }));
  }

  private async newActors(w: Window): Promise<NewFinding[]> {
    // Only once the log reaches back over a whole baseline: on a young install everyone is new.
    const rows = (await this.dataSource.query(
      `SELECT e.actor, count(*)::int AS n, count(DISTINCT e.secret_id)::int AS secrets, max(e.client_ip) AS ip,
              to_char(min(e.occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS first_read_at
       FROM audit_events e
       WHERE e.action = ${VALUE_READ} AND e.outcome = 'success' AND e.occurred_at >= $1 AND e.occurred_at <= $2 AND ${PERSON.replace(/actor/g, 'e.actor')}
         AND NOT EXISTS (SELECT 1 FROM audit_events p WHERE p.actor = e.actor AND p.occurred_at < $1)
         AND EXISTS (SELECT 1 FROM audit_events h WHERE h.occurred_at <= $3)
       GROUP BY e.actor
       ORDER BY e.actor`,
      [w.start, w.end, w.baseStart],
    )) as { actor: string; n: number; secrets: number; ip: string | null; first_read_at: string }[];
    return rows.map((r) => ({
      kind: 'new_actor',
      severity: 'warning',
      summary: `${r.actor}, never seen before, read ${r.n} secret value${r.n === 1 ? '' : 's'} (${r.secrets} secret${r.secrets === 1 ? '' : 's'})`,
      actor: r.actor,
      clientIp: r.ip,
      details: { value_reads: r.n, secrets: r.secrets, first_read_at: r.first_read_at },
      dedupeKey: key('new_actor', r.actor),
    }));
  }
}

interface Window {
  start: Date;
  end: Date;
  baseStart: Date;
  slot: string;
}
