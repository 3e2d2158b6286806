import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import { annotateAudit } from '../audit-log/audit-scope.js';
import { AuditValueReads } from '../audit/value-reads.service.js';
import { systemActor, type Actor } from '../auth/auth.types.js';
import { MAX_ACTIVE_LOCKOUTS, SubjectLockouts } from '../auth/subject-lockouts.js';
import { subjectProblem } from '../auth/token-claims.js';
import { addDays, Clock } from '../clock/clock.js';
import { decodeCursor, encodeCursor } from '../common/list-cursor.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { statusUrl, TasksService } from '../tasks/tasks.service.js';
import { TaskRunner } from '../tasks/task-runner.js';
import {
  type IncidentListQuery,
  type IncidentListResponseDto,
  type IncidentProgressDto,
  IncidentResponseDto,
  type IncidentSecretDto,
  IncidentSummaryDto,
  type LiftLockoutDto,
  MAX_INCIDENT_WINDOW_DAYS,
  MAX_LISTED_SECRETS,
  type OpenIncidentDto,
} from './dto/incident.dto.js';
import { IncidentEntity } from './entities/incident.entity.js';
import { type IncidentSecretOutcome, IncidentSecretEntity } from './entities/incident-secret.entity.js';
import { incidentNotFound, invalidIncident, lockoutAlreadyLifted, tooManyLockouts } from './incidents.errors.js';

export const INCIDENT_RESPONSE_TASK = 'incident_response';
/** The actor of what the response does on its own (its completion row). */
export const INCIDENT_RESPONSE_ACTOR = systemActor(INCIDENT_RESPONSE_TASK);
/** How far in the future `to` may lie (clock skew between the caller and the service). */
const FUTURE_TOLERANCE_MS = 60_000;

const newIncidentId = () => `inc_${randomBytes(12).toString('base64url')}`;

/** What the security report lists of an incident. */
export interface IncidentReportRow {
  id: string;
  subject: string;
  windowFrom: Date;
  windowTo: Date;
  status: string;
  reason: string;
  createdAt: Date;
  createdBy: string;
  finishedAt: Date | null;
  liftedAt: Date | null;
  liftedBy: string | null;
  total: number;
  rotated: number;
  flagged: number;
  failed: number;
}

/** A secret's outcome as the task handler records it. */
export interface SecretOutcome {
  outcome: Exclude<IncidentSecretOutcome, 'pending'>;
  secretName?: string | null;
  secretType?: string | null;
  rotationId?: string | null;
  fromVersion?: number | null;
  toVersion?: number | null;
  error?: string | null;
}

const emptyCounts = (total: number): IncidentProgressDto => ({
  total,
  processed: 0,
  rotated: 0,
  manual_rotation_required: 0,
  rotation_failed: 0,
  secret_gone: 0,
});

/**
 * Compromise response (README.md): opening an incident locks its subject out (auth's
 * SubjectLockouts), lists from the audit log every secret whose value the subject read in the
 * window, and queues one background task (one item per secret) that rotates the generatable ones
 * (emergency rotation) and flags the rest; each item records its outcome here.
 */
@Injectable()
export class IncidentsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly lockouts: SubjectLockouts,
    private readonly reads: AuditValueReads,
    private readonly tasks: TasksService,
    private readonly runner: TaskRunner,
    private readonly audit: AuditLog,
  ) {}

  async open(dto: OpenIncidentDto, actor: Actor): Promise<IncidentResponseDto> {
    const now = this.clock.now();
    const from = new Date(dto.from);
    const to = dto.to !== undefined ? new Date(dto.to) : now;
    if (dto.subject.trim() === '') throw invalidIncident('subject', 'subject must not be blank');
    const problem = subjectProblem(dto.subject);
    if (problem) throw invalidIncident('subject', `subject is not a caller's sub: ${problem}`);
    if (dto.subject === actor.sub) throw invalidIncident('subject', 'an admin cannot lock out their own subject; ask another admin');
    if (dto.reason.trim() === '') throw invalidIncident('reason', 'reason must not be blank');
    if (to.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) throw invalidIncident('to', 'to must not be in the future');
    if (from.getTime() >= to.getTime()) throw invalidIncident('from', 'from must be before to');
    if (from.getTime() < addDays(to, -MAX_INCIDENT_WINDOW_DAYS).getTime()) {
      throw invalidIncident('from', `the window may cover at most ${MAX_INCIDENT_WINDOW_DAYS} days`);
    }
    return this.uow.run(async (tx) => {
      // The caller may have been locked out a moment ago (another admin's incident, not yet in
      // this replica's set): checked under the lockouts' table lock, so two admins cannot lock
      // each other out at once.
      await this.lockouts.assertAllowedInTransaction(actor.sub);
      if ((await this.lockouts.activeCount()) >= MAX_ACTIVE_LOCKOUTS) throw tooManyLockouts(MAX_ACTIVE_LOCKOUTS);
      const id = newIncidentId();
      const read = await this.reads.readBy(dto.subject, from, to);
      const accepted = await this.tasks.create(INCIDENT_RESPONSE_TASK, { incident_id: id }, read.map((r) => r.secretId), actor.sub);
      await tx.getRepository(IncidentEntity).insert({
        id,
        subject: dto.subject,
        windowFrom: from,
        windowTo: to,
        reason: dto.reason,
        status: read.length > 0 ? 'in_progress' : 'completed',
        taskId: accepted.task_id,
        secretsTotal: read.length,
        createdAt: now,
        createdBy: actor.sub,
        finishedAt: read.length > 0 ? null : now,
        liftedAt: null,
        liftedBy: null,
        liftReason: null,
      });
      for (let i = 0; i < read.length; i += 1000) {
        await tx.getRepository(IncidentSecretEntity).insert(
          read.slice(i, i + 1000).map((r) => ({
            incidentId: id,
            secretId: r.secretId,
            secretName: r.secretName,
            secretType: null,
            reads: r.reads,
            firstReadAt: r.firstReadAt,
            lastReadAt: r.lastReadAt,
            outcome: 'pending' as const,
            rotationId: null,
            fromVersion: null,
            toVersion: null,
            error: null,
            updatedAt: now,
          })),
        );
      }
      await this.lockouts.lock(id, dto.subject, actor.sub, now);
      annotateAudit({
        details: {
          incident_id: id,
          subject: dto.subject,
          window_from: from.toISOString(),
          window_to: to.toISOString(),
          secrets: read.length,
          task_id: accepted.task_id,
        },
      });
      if (read.length > 0) this.runner.nudge();
      return this.detailIn(tx, id);
    });
  }

  async get(id: string): Promise<IncidentResponseDto> {
    return this.detailIn(this.uow.manager(), id);
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(q: IncidentListQuery): Promise<IncidentListResponseDto> {
    const limit = q.limit ?? 50;
    const qb = this.uow
      .manager()
      .getRepository(IncidentEntity)
      .createQueryBuilder('i')
      .orderBy('i.createdAt', 'DESC')
      .addOrderBy('i.id', 'DESC')
      .limit(limit + 1);
    if (q.subject !== undefined) qb.andWhere('i.subject = :subject', { subject: q.subject });
    if (q.status !== undefined) qb.andWhere('i.status = :status', { status: q.status });
    if (q.cursor !== undefined) {
      const { createdAt: at, id } = decodeCursor(q.cursor);
      qb.andWhere('(i.created_at, i.id) < (:at, :id)', { at, id });
    }
    const rows = await qb.getMany();
    const page = rows.slice(0, limit);
    const counts = await this.counts(this.uow.manager(), page);
    const last = page[page.length - 1];
    annotateAudit({ details: { count: page.length } });
    return {
      items: page.map((e) => this.summary(e, counts.get(e.id) ?? emptyCounts(e.secretsTotal))),
      next_cursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null,
    };
  }

  /** Lifts the incident's lockout: the subject's tokens are accepted again (unless another incident locks it out). */
  async lift(id: string, dto: LiftLockoutDto, actor: Actor): Promise<IncidentResponseDto> {
    return this.uow.run(async (tx) => {
      // As in open: a caller locked out a moment ago may not lift (its own lockout included).
      await this.lockouts.assertAllowedInTransaction(actor.sub);
      const row = await tx.getRepository(IncidentEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw incidentNotFound(id);
      if (row.liftedAt) throw lockoutAlreadyLifted(id, row.liftedAt);
      const now = this.clock.now();
      await tx.getRepository(IncidentEntity).update({ id }, { liftedAt: now, liftedBy: actor.sub, liftReason: dto.reason ?? null });
      await this.lockouts.lift(id);
      annotateAudit({ details: { incident_id: id, subject: row.subject, still_locked_out: await this.stillLockedOut(tx, row.subject, id) } });
      return this.detailIn(tx, id);
    });
  }

  /** Incidents whose lockout overlapped [from, to): opened before `to` and not lifted before `from`. */
  async inPeriod(from: Date, to: Date, max = 1000): Promise<IncidentReportRow[]> {
    const rows = await this.uow
      .manager()
      .getRepository(IncidentEntity)
      .createQueryBuilder('i')
      .where('i.created_at < :to', { to })
      .andWhere('(i.lifted_at IS NULL OR i.lifted_at >= :from)', { from })
      .orderBy('i.createdAt', 'ASC')
      .addOrderBy('i.id', 'ASC')
      .limit(max)
      .getMany();
    const counts = await this.counts(this.uow.manager(), rows);
    return rows.map((e) => {
      const c = counts.get(e.id) ?? emptyCounts(e.secretsTotal);
      return {
        id: e.id,
        subject: e.subject,
        windowFrom: e.windowFrom,
        windowTo: e.windowTo,
        status: e.status,
        reason: e.reason,
        createdAt: e.createdAt,
        createdBy: e.createdBy,
        finishedAt: e.finishedAt,
        liftedAt: e.liftedAt,
        liftedBy: e.liftedBy,
        total: c.total,
        rotated: c.rotated,
        flagged: c.manual_rotation_required,
        failed: c.rotation_failed,
      };
    });
  }

  // ---- for the task handler -------------------------------------------------------------------

  /** The incident a task item belongs to (its reason goes into the rotation record). */
  async find(id: string): Promise<IncidentEntity | null> {
    return this.uow.manager().getRepository(IncidentEntity).findOneBy({ id });
  }

  /** Records what the response did with one secret, in the transaction that marks its item done. */
  async recordOutcome(tx: EntityManager, incidentId: string, secretId: string, o: SecretOutcome): Promise<void> {
    await tx.getRepository(IncidentSecretEntity).update(
      { incidentId, secretId },
      {
        outcome: o.outcome,
        ...(o.secretName !== undefined && o.secretName !== null ? { secretName: o.secretName.slice(0, 128) } : {}),
        ...(o.secretType !== undefined ? { secretType: o.secretType } : {}),
        rotationId: o.rotationId ?? null,
        fromVersion: o.fromVersion ?? null,
        toVersion: o.toVersion ?? null,
        error: o.error ? o.error.slice(0, 500) : null,
        updatedAt: this.clock.now(),
      },
    );
  }

  /**
   * The task finished (in its completion transaction): secrets whose items failed for good
   * without an outcome are recorded as rotation_failed, the incident gets its final status and a
   * `incident.response_completed` row.
   */
  async complete(tx: EntityManager, incidentId: string, taskId: string): Promise<Record<string, unknown>> {
    const now = this.clock.now();
    await tx.query(
      `UPDATE incident_secrets SET outcome = 'rotation_failed', updated_at = $2,
         error = 'not handled: its task item failed for good (see the task status)'
       WHERE incident_id = $1 AND outcome = 'pending'`,
      [incidentId, now],
    );
    const incident = await tx.getRepository(IncidentEntity).findOneBy({ id: incidentId });
    if (!incident) return { incident_id: incidentId, missing: true };
    const c = (await this.counts(tx, [incident])).get(incidentId) ?? emptyCounts(incident.secretsTotal);
    const status = c.rotation_failed > 0 ? 'completed_with_errors' : 'completed';
    await tx.getRepository(IncidentEntity).update({ id: incidentId }, { status, finishedAt: now });
    const summary = {
      incident_id: incidentId,
      subject: incident.subject,
      status,
      secrets: c.total,
      rotated: c.rotated,
      manual_rotation_required: c.manual_rotation_required,
      rotation_failed: c.rotation_failed,
      secret_gone: c.secret_gone,
    };
    await this.audit.record({
      action: AuditAction.IncidentResponseCompleted,
      outcome: c.rotation_failed > 0 ? 'error' : 'success',
      actor: INCIDENT_RESPONSE_ACTOR.sub,
      roles: INCIDENT_RESPONSE_ACTOR.roles,
      occurredAt: now,
      details: { ...summary, task_id: taskId },
    });
    return summary;
  }

  // ---- reading ---------------------------------------------------------------------------------

  private async detailIn(tx: EntityManager, id: string): Promise<IncidentResponseDto> {
    const row = await tx.getRepository(IncidentEntity).findOneBy({ id });
    if (!row) throw incidentNotFound(id);
    const counts = (await this.counts(tx, [row])).get(id) ?? emptyCounts(row.secretsTotal);
    const secrets = await tx.getRepository(IncidentSecretEntity).find({
      where: { incidentId: id },
      order: { secretName: 'ASC', secretId: 'ASC' },
      take: MAX_LISTED_SECRETS,
    });
    annotateAudit({ details: { incident_id: id, subject: row.subject } });
    return Object.assign(new IncidentResponseDto(), this.summary(row, counts), { secrets: secrets.map(toSecretDto) });
  }

  private summary(e: IncidentEntity, progress: IncidentProgressDto): IncidentSummaryDto {
    return Object.assign(new IncidentSummaryDto(), {
      id: e.id,
      subject: e.subject,
      from: e.windowFrom.toISOString(),
      to: e.windowTo.toISOString(),
      reason: e.reason,
      status: e.status,
      task_id: e.taskId,
      status_url: statusUrl(e.taskId),
      progress,
      lockout: {
        active: e.liftedAt === null,
        lifted_at: e.liftedAt?.toISOString() ?? null,
        lifted_by: e.liftedBy,
        lift_reason: e.liftReason,
      },
      created_at: e.createdAt.toISOString(),
      created_by: e.createdBy,
      finished_at: e.finishedAt?.toISOString() ?? null,
    });
  }

  /** Outcome counts per incident, in one grouped query. */
  private async counts(tx: EntityManager, incidents: IncidentEntity[]): Promise<Map<string, IncidentProgressDto>> {
    const out = new Map<string, IncidentProgressDto>(incidents.map((e) => [e.id, emptyCounts(e.secretsTotal)]));
    if (incidents.length === 0) return out;
    const rows = (await tx.query(
      'SELECT incident_id, outcome, count(*)::int AS n FROM incident_secrets WHERE incident_id = ANY($1) GROUP BY incident_id, outcome',
      [incidents.map((e) => e.id)],
    )) as { incident_id: string; outcome: IncidentSecretOutcome; n: number }[];
    for (const r of rows) {
      const c = out.get(r.incident_id)!;
      if (r.outcome !== 'pending') {
        c[r.outcome] = Number(r.n);
        c.processed += Number(r.n);
      }
    }
    return out;
  }

  private async stillLockedOut(tx: EntityManager, subject: string, except: string): Promise<boolean> {
    const [r] = (await tx.query('SELECT count(*)::int AS n FROM incidents WHERE subject = $1 AND lifted_at IS NULL AND id <> $2', [subject, except])) as { n: number }[];
    return Number(r?.n ?? 0) > 0;
  }
}

function toSecretDto(s: IncidentSecretEntity): IncidentSecretDto {
  return {
    secret_id: s.secretId,
    secret_name: s.secretName,
    secret_type: s.secretType,
    reads: s.reads,
    first_read_at: s.firstReadAt.toISOString(),
    last_read_at: s.lastReadAt.toISOString(),
    outcome: s.outcome,
    rotation_id: s.rotationId,
    from_version: s.fromVersion,
    to_version: s.toVersion,
    error: s.error,
    updated_at: s.updatedAt.toISOString(),
  };
}
