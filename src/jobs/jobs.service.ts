import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import { annotateAudit } from '../audit-log/audit-scope.js';
import { type Actor, systemActor } from '../auth/auth.types.js';
import { Clock } from '../clock/clock.js';
import { decodeSequenceCursor } from '../common/keyset-cursor.js';
import { DomainError, DomainErrorCode, notFound } from '../common/domain-error.js';
import { AppConfig } from '../config/index.js';
import { withTryAdvisoryLock } from '../database/advisory-lock.js';
import { JobRunDto, type JobsOverviewDto } from './dto/job-run.dto.js';
import { JobRunEntity } from './entities/job-run.entity.js';
import { type JobHandler, ScheduledJob } from './job-handler.js';
import { jobSchedules } from './job-schedules.js';

/**
 * Runs jobs once per slot across the fleet (unique job_runs row per slot) and one at a time
 * (advisory lock per job), recording every run with its counts and an audit row. The jobs are
 * the providers marked `@ScheduledJob()`, found at module init (every provider exists by then).
 */
@Injectable()
export class JobsService implements OnModuleInit {
  private readonly logger = new Logger(JobsService.name);
  private readonly handlers = new Map<string, JobHandler>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: ScheduledJob.KEY })) {
      const handler = wrapper.instance as JobHandler | undefined;
      if (!handler) continue;
      if (this.handlers.has(handler.name)) throw new Error(`two scheduled jobs are named ${handler.name}`);
      this.handlers.set(handler.name, handler);
    }
  }

  has(name: string): boolean {
    return this.handlers.has(name);
  }

  /** Runs `name` for `slot`; returns null when another replica already has this slot. */
  async run(name: string, trigger: 'schedule' | 'manual', by: Actor, slot = this.clock.now()): Promise<JobRunEntity | null> {
    const handler = this.handlers.get(name);
    if (!handler) throw notFound('job', name);
    const repo = this.dataSource.getRepository(JobRunEntity);
    const inserted = await repo
      .createQueryBuilder()
      .insert()
      .values({ jobName: name, slot, trigger, triggeredBy: by.sub, status: 'running', startedAt: this.clock.now(), counts: {} })
      .orIgnore()
      .returning('*')
      .execute();
    const id = (inserted.raw as { id: string }[])[0]?.id;
    if (!id) return null;
    const actor = systemActor(name);

    let status: JobRunEntity['status'] = 'succeeded';
    let counts: Record<string, number | string> = {};
    let error: string | null = null;
    try {
      const outcome = await withTryAdvisoryLock(this.dataSource, `job:${name}`, () => handler.run({ actor, slot, runId: String(id) }));
      if (!outcome.acquired) throw new Error('another run of this job is still in progress');
      counts = outcome.result;
    } catch (e) {
      status = 'failed';
      error = ((e as Error).message ?? 'failed').slice(0, 1000);
      this.logger.error(`job ${name} failed: ${error}`);
    }
    await repo.update({ id }, { status, counts, error, finishedAt: this.clock.now() });
    await this.audit
      .record({
        action: AuditAction.JobRun,
        outcome: status === 'succeeded' ? 'success' : 'error',
        actor: actor.sub,
        roles: actor.roles,
        details: { job: name, run_id: String(id), trigger, triggered_by: by.sub, ...flat(counts), ...(error ? { error } : {}) },
      })
      .catch((e: Error) => this.logger.error(`audit of job ${name} failed: ${e.message}`));
    return repo.findOneByOrFail({ id });
  }

  /** POST /jobs/{name}/run: runs now, on behalf of an admin. */
  async runNow(name: string, by: Actor): Promise<JobRunDto> {
    annotateAudit({ details: { job: name } });
    const run = await this.run(name, 'manual', by);
    if (!run) throw new DomainError(DomainErrorCode.Conflict, `job ${name} is already running for this moment`);
    return JobRunDto.from(run);
  }

  async overview(limit: number, before?: string): Promise<JobsOverviewDto> {
    const schedules = jobSchedules(this.config);
    const last = (await this.dataSource.query(
      "SELECT job_name, max(finished_at) AS at FROM job_runs WHERE status = 'succeeded' GROUP BY job_name",
    )) as { job_name: string; at: Date }[];
    const lastBy = new Map(last.map((r) => [r.job_name, r.at]));
    const qb = this.dataSource.getRepository(JobRunEntity).createQueryBuilder('r').orderBy('r.id', 'DESC').limit(limit + 1);
    if (before) {
      qb.where('r.id < :before', { before: decodeSequenceCursor(before) });
    }
    const rows = await qb.getMany();
    const page = rows.slice(0, limit);
    return {
      jobs: [...this.handlers.keys()].sort().map((name) => ({
        name,
        schedule: schedules[name] ?? 'manual only',
        last_success_at: lastBy.get(name)?.toISOString() ?? null,
      })),
      runs: page.map((r) => JobRunDto.from(r)),
      next_cursor: rows.length > limit ? String(page[page.length - 1]!.id) : null,
    };
  }
}

function flat(counts: Record<string, number | string>): Record<string, number | string> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [`count_${k}`, v]));
}
