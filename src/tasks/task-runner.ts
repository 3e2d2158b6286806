import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/index.js';
import { TaskEntity } from './entities/task.entity.js';
import { TaskItemEntity } from './entities/task-item.entity.js';
import { PollingLoop } from '../common/polling-loop.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { BackgroundTaskHandler, type ItemContext, PermanentItemError, RunAlone, type TaskHandler } from './task-handler.js';

export class ItemAlreadyFinishedError extends Error {}

/**
 * Works through pending task items of every replica's tasks. Items are claimed with
 * `FOR UPDATE SKIP LOCKED` and a lease, so replicas share the work and an item whose worker
 * crashed is claimed again once its lease ends. At shutdown (before the pool closes) the worker
 * claims nothing more, finishes the units it is working on and releases the rest of its claim, so
 * another replica takes them at once instead of after the lease.
 */
@Injectable()
export class TaskRunner implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TaskRunner.name);
  private readonly handlers = new Map<string, TaskHandler>();
  private readonly loop = new PollingLoop(
    () => this.tick(),
    () => this.config.tasks.pollIntervalMs,
    (e) => this.logger.error(`task worker: ${e.message}`),
  );

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly discovery: DiscoveryService,
  ) {}

  /** The handlers are the providers marked `@BackgroundTaskHandler()` (all exist at module init). */
  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: BackgroundTaskHandler.KEY })) {
      const handler = wrapper.instance as TaskHandler | undefined;
      if (!handler) continue;
      if (this.handlers.has(handler.kind)) throw new Error(`two task handlers handle ${handler.kind}`);
      this.handlers.set(handler.kind, handler);
    }
  }

  onApplicationBootstrap(): void {
    if (this.config.tasks.workerEnabled) this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Asks the worker to look for work now instead of at its next poll. */
  nudge(): void {
    this.loop.nudge();
  }

  /** Claims and processes one batch; returns how many items it worked on. */
  async tick(): Promise<number> {
    const items = await this.claim(this.config.tasks.concurrency * 25);
    if (items.length === 0) {
      await this.completeOrphans();
      return 0;
    }
    const tasks = new Map<string, TaskEntity>();
    for (const id of new Set(items.map((i) => i.taskId))) {
      const task = await this.dataSource.getRepository(TaskEntity).findOneByOrFail({ id });
      tasks.set(id, task);
    }
    // Work units: single items, or chunks of items for handlers that batch. A few units run at a
    // time, so their round trips and commits overlap.
    const units: TaskItemEntity[][] = [];
    for (const task of tasks.values()) {
      const mine = items.filter((i) => i.taskId === task.id);
      const size = this.handlers.get(task.kind)?.batchSize ?? 1;
      for (let i = 0; i < mine.length; i += size) units.push(mine.slice(i, i + size));
    }
    const lanes = Array.from({ length: Math.min(this.config.tasks.concurrency, units.length) }, async () => {
      for (let unit = units.shift(); unit && !this.loop.stopped; unit = units.shift()) {
        const task = tasks.get(unit[0]!.taskId)!;
        if (unit.length === 1 && !this.handlers.get(task.kind)?.batchSize) await this.process(task, unit[0]!);
        else await this.processBatch(task, unit);
      }
    });
    await Promise.all(lanes);
    if (units.length > 0) {
      await this.release(units.flat());
      return items.length;
    }
    for (const task of tasks.values()) await this.completeIfFinished(task);
    return items.length;
  }

  private lastOrphanSweep = 0;

  /**
   * A process that died after an item's last commit but before the task's completion leaves the
   * task `running` with nothing left to claim; whoever is idle completes it (at most every 5 s).
   */
  private async completeOrphans(): Promise<void> {
    if (Date.now() - this.lastOrphanSweep < 5_000) return;
    this.lastOrphanSweep = Date.now();
    const orphans = (await this.dataSource.query(
      `SELECT t.id FROM tasks t WHERE t.status IN ('pending', 'running')
         AND t.total > 0 AND NOT EXISTS (SELECT 1 FROM task_items i WHERE i.task_id = t.id AND i.status = 'pending')
       ORDER BY t.created_at LIMIT 20`,
    )) as { id: string }[];
    for (const { id } of orphans) {
      const task = await this.dataSource.getRepository(TaskEntity).findOneBy({ id });
      if (task) await this.completeIfFinished(task);
    }
  }

  private async claim(limit: number): Promise<TaskItemEntity[]> {
    return this.dataSource.transaction(async (tx) => {
      const rows = (await tx.query(
        `UPDATE task_items SET lease_until = now() + make_interval(secs => $2), attempts = attempts + 1
         WHERE (task_id, seq) IN (
           SELECT task_id, seq FROM task_items
           WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < now())
           ORDER BY task_id, seq LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING task_id, seq, target, status, attempts, lease_until, error, ref, finished_at`,
        [limit, this.config.tasks.leaseSeconds],
      )) as [Record<string, unknown>[], number] | Record<string, unknown>[];
      const list = (Array.isArray(rows[0]) ? rows[0] : rows) as Record<string, unknown>[];
      const items = list.map((r) =>
        Object.assign(new TaskItemEntity(), {
          taskId: r.task_id as string,
          seq: r.seq as number,
          target: r.target as string,
          status: r.status as TaskItemEntity['status'],
          attempts: r.attempts as number,
          leaseUntil: r.lease_until as Date | null,
          error: r.error as string | null,
          ref: r.ref as string | null,
          finishedAt: r.finished_at as Date | null,
        }),
      );
      items.sort((a, b) => (a.taskId === b.taskId ? a.seq - b.seq : a.taskId < b.taskId ? -1 : 1));
      const taskIds = [...new Set(items.map((i) => i.taskId))];
      if (taskIds.length > 0) {
        await tx.query(
          "UPDATE tasks SET status = 'running', started_at = coalesce(started_at, now()) WHERE id = ANY($1) AND status = 'pending'",
          [taskIds],
        );
      }
      return items;
    });
  }

  /** Gives claimed items back (shutdown): claimable at once, and the claim does not count as an attempt. */
  private async release(items: TaskItemEntity[]): Promise<void> {
    for (const taskId of new Set(items.map((i) => i.taskId))) {
      const seqs = items.filter((i) => i.taskId === taskId).map((i) => i.seq);
      await this.dataSource.query(
        "UPDATE task_items SET lease_until = NULL, attempts = greatest(attempts - 1, 0) WHERE task_id = $1 AND seq = ANY($2::int[]) AND status = 'pending'",
        [taskId, seqs],
      );
    }
    this.logger.log(`released ${items.length} claimed task item(s) at shutdown`);
  }

  /** One transaction for the chunk, a savepoint per item; failures are recorded after it. */
  private async processBatch(task: TaskEntity, items: TaskItemEntity[]): Promise<void> {
    const handler = this.handlers.get(task.kind)!;
    const failed: [TaskItemEntity, unknown][] = [];
    const alone: TaskItemEntity[] = [];
    try {
      await this.uow.run(async (tx) => {
        for (const item of items) {
          const ctx = this.context(task, item, true);
          try {
            await this.uow.savepoint(async () => {
              await handler.processItem(ctx);
              if (!ctx.finished()) await ctx.markDone(tx);
            });
          } catch (e) {
            if (e instanceof RunAlone) alone.push(item);
            else if (!(e instanceof ItemAlreadyFinishedError)) failed.push([item, e]);
          }
        }
      });
    } catch (e) {
      // The batch did not commit: its items stay pending and are claimed again after the lease.
      this.logger.error(`task batch of ${task.id} rolled back: ${(e as Error).message}`);
      return;
    }
    for (const [item, e] of failed) await this.recordFailure(item, e);
    for (const item of alone) await this.process(task, item);
  }

  private async process(task: TaskEntity, item: TaskItemEntity): Promise<void> {
    const handler = this.handlers.get(task.kind);
    const ctx = this.context(task, item, false);
    try {
      if (!handler) throw new PermanentItemError(`no handler for tasks of kind ${task.kind}`);
      await handler.processItem(ctx);
      if (!ctx.finished()) await this.uow.run((tx) => ctx.markDone(tx));
    } catch (e) {
      if (e instanceof ItemAlreadyFinishedError) return;
      await this.recordFailure(item, e);
    }
  }

  private context(task: TaskEntity, item: TaskItemEntity, inBatch: boolean): ItemContext & { finished(): boolean } {
    let finished = false;
    return {
      task,
      item,
      inBatch,
      finished: () => finished,
      markDone: async (tx) => {
        const res = (await tx.query(
          "UPDATE task_items SET status = 'done', finished_at = now(), lease_until = NULL, error = NULL WHERE task_id = $1 AND seq = $2 AND status = 'pending'",
          [item.taskId, item.seq],
        )) as [unknown, number];
        if (res[1] !== 1) throw new ItemAlreadyFinishedError(`item ${item.seq} of ${item.taskId} was finished elsewhere`);
        finished = true;
      },
      markFailed: async (tx, error) => {
        const res = (await tx.query(
          "UPDATE task_items SET status = 'failed', finished_at = now(), lease_until = NULL, error = $3 WHERE task_id = $1 AND seq = $2 AND status = 'pending'",
          [item.taskId, item.seq, error.slice(0, 500)],
        )) as [unknown, number];
        if (res[1] !== 1) throw new ItemAlreadyFinishedError(`item ${item.seq} of ${item.taskId} was finished elsewhere`);
        finished = true;
      },
      remember: async (tx, ref) => {
        await tx.query('UPDATE task_items SET ref = $3 WHERE task_id = $1 AND seq = $2', [item.taskId, item.seq, ref]);
        item.ref = ref;
      },
    };
  }

  private async recordFailure(item: TaskItemEntity, e: unknown): Promise<void> {
    const permanent = e instanceof PermanentItemError || item.attempts >= this.config.tasks.itemMaxAttempts;
    const message = e instanceof Error ? e.message : 'failed';
    // Back off exponentially with jitter before the item is claimed again.
    const backoffMs = Math.round(Math.min(60_000, 500 * 2 ** (item.attempts - 1)) * (0.5 + Math.random() / 2));
    await this.dataSource.transaction(async (tx) => {
      await tx.query(
        `UPDATE task_items SET error = $3, status = $4::varchar,
           lease_until = CASE WHEN $4::varchar = 'failed' THEN NULL ELSE now() + make_interval(secs => $5::float / 1000) END,
           finished_at = CASE WHEN $4::varchar = 'failed' THEN now() ELSE NULL END
         WHERE task_id = $1 AND seq = $2 AND status = 'pending'`,
        [item.taskId, item.seq, message.slice(0, 500), permanent ? 'failed' : 'pending', backoffMs],
      );
    });
  }

  private async completeIfFinished(task: TaskEntity): Promise<void> {
    // A unit of work, so whatever the handler's `complete` writes (audit rows, alerts) joins this
    // transaction instead of waiting for it on a second connection (a deadlock on the embedded
    // database, which serves one transaction at a time).
    await this.uow.run(async (tx) => {
      const [open] = (await tx.query("SELECT count(*)::int AS n FROM task_items WHERE task_id = $1 AND status = 'pending'", [
        task.id,
      ])) as { n: number }[];
      if (open!.n > 0) return;
      const [row] = (await tx.query(
        `UPDATE tasks t SET done = c.done, failed = c.failed,
           status = CASE WHEN c.failed > 0 AND c.done = 0 THEN 'failed' ELSE 'completed' END, finished_at = now()
         FROM (SELECT count(*) FILTER (WHERE status = 'done')::int AS done, count(*) FILTER (WHERE status = 'failed')::int AS failed
               FROM task_items WHERE task_id = $1) c
         WHERE t.id = $1 AND t.status IN ('pending', 'running') RETURNING t.status`,
        [task.id],
      )) as [{ status: string }[], number];
      const updated = Array.isArray(row) ? row[0] : undefined;
      if (!updated) return; // another worker completed it
      const handler = this.handlers.get(task.kind);
      const fresh = await tx.getRepository(TaskEntity).findOneByOrFail({ id: task.id });
      const result = handler?.complete ? await handler.complete(tx, fresh) : null;
      if (result) await tx.query('UPDATE tasks SET result = $2 WHERE id = $1', [task.id, JSON.stringify(result)]);
    });
  }
}
