import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { systemActor } from '../auth/auth.types.js';
import { Clock } from '../clock/clock.js';
import { AppConfig } from '../config/index.js';
import { previousFireTime } from './fire-time.js';
import { jobSchedules } from './job-schedules.js';
import { JobsService } from './jobs.service.js';

/**
 * Registers one cron per job (schedules from `job-schedules.ts`). A tick only triggers: the run is
 * keyed by its slot, the scheduled fire time it belongs to (the expression's latest fire ≤ now, to
 * the second), so each replica's cron fires but one runs it, and a replica whose callback runs
 * late (paused, busy) maps to the same fire instead of inventing a new slot.
 */
@Injectable()
export class JobScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobScheduler.name);
  private readonly running = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly jobs: JobsService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.jobs.enabled) return;
    for (const [name, cronTime] of Object.entries(jobSchedules(this.config))) {
      if (!this.jobs.has(name)) continue;
      const job = CronJob.from({
        cronTime,
        onTick: () => {
          const run = this.tick(name).finally(() => this.running.delete(run));
          this.running.add(run);
        },
        start: true,
        timeZone: 'UTC',
      });
      this.registry.addCronJob(name, job);
    }
  }

  /** Shutdown: no new runs (the crons themselves are stopped by @nestjs/schedule); waits for runs in progress. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.running]);
  }

  /** One tick of `name`'s schedule, its callback running at time `at`. */
  async tick(name: string, at: Date = this.clock.now()): Promise<'ran' | 'skipped'> {
    if (this.stopping) return 'skipped';
    const expression = jobSchedules(this.config)[name];
    try {
      if (!expression) throw new Error('no schedule');
      const slot = previousFireTime(expression, at);
      const run = await this.jobs.run(name, 'schedule', systemActor(name), slot);
      return run ? 'ran' : 'skipped';
    } catch (e) {
      this.logger.error(`scheduled ${name} could not start: ${(e as Error).message}`);
      return 'skipped';
    }
  }
}
