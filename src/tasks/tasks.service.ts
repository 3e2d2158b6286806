import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { annotateAudit } from '../audit-log/audit-scope.js';
import { Clock } from '../clock/clock.js';
import { notFound } from '../common/domain-error.js';
import { decodeCursor, encodeCursor } from '../common/list-cursor.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { TaskListQuery, TaskListResponseDto } from './dto/task-list.dto.js';
import type { TaskAcceptedDto, TaskStatusDto } from './dto/task-status.dto.js';
import { TaskEntity } from './entities/task.entity.js';
import { TaskItemEntity } from './entities/task-item.entity.js';

const newTaskId = () => `task_${randomBytes(12).toString('base64url')}`;

export const statusUrl = (id: string) => `/api/v1/secrets/task/${id}/status`;

/** Creating tasks and reading their status; the TaskRunner does the work. */
@Injectable()
export class TasksService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  /** Persists a task and its items in the caller's unit of work; workers pick it up after commit. */
  async create(kind: string, params: Record<string, unknown>, targets: string[], createdBy: string): Promise<TaskAcceptedDto> {
    return this.uow.run(async (tx) => {
      const now = this.clock.now();
      const task = tx.getRepository(TaskEntity).create({
        id: newTaskId(),
        kind,
        status: targets.length > 0 ? 'pending' : 'completed',
        params,
        total: targets.length,
        done: 0,
        failed: 0,
        createdBy,
        createdAt: now,
        startedAt: null,
        finishedAt: targets.length > 0 ? null : now,
        result: null,
      });
      await tx.getRepository(TaskEntity).insert(task as QueryDeepPartialEntity<TaskEntity>);
      for (let start = 0; start < targets.length; start += 5000) {
        const chunk = targets.slice(start, start + 5000);
        await tx.query(
          `INSERT INTO task_items (task_id, seq, target, status, attempts)
           SELECT $1, start_seq + ord, t, 'pending', 0 FROM unnest($2::text[]) WITH ORDINALITY AS u(t, ord), (SELECT $3::int AS start_seq) s`,
          [task.id, chunk, start],
        );
      }
      annotateAudit({ details: { task_id: task.id, items: targets.length } });
      return { task_id: task.id, status_url: statusUrl(task.id), status: task.status, total: task.total };
    });
  }

  async status(id: string): Promise<TaskStatusDto> {
    const tx = this.uow.manager();
    const task = await tx.getRepository(TaskEntity).findOneBy({ id });
    if (!task) throw notFound('task', id);
    annotateAudit({ details: { task_id: id } });
    await this.countProgress([task]);
    const failures = await tx.getRepository(TaskItemEntity).find({
      where: { taskId: id, status: 'failed' },
      order: { seq: 'ASC' },
      take: 1000,
    });
    return {
      task_id: task.id,
      kind: task.kind,
      status: task.status,
      progress: { done: task.done, failed: task.failed, total: task.total },
      failures: failures.map((f) => ({ target: f.target, error: f.error ?? 'failed', attempts: f.attempts })),
      result: task.result,
      created_by: task.createdBy,
      created_at: task.createdAt.toISOString(),
      started_at: task.startedAt?.toISOString() ?? null,
      finished_at: task.finishedAt?.toISOString() ?? null,
    };
  }

  /**
   * While a task runs its progress is counted from its items (no hot counter row to update): sets
   * `done` and `failed` of the unfinished ones among `tasks`, in one query.
   */
  private async countProgress(tasks: TaskEntity[]): Promise<void> {
    const unfinished = tasks.filter((t) => t.status === 'pending' || t.status === 'running');
    if (unfinished.length === 0) return;
    const counts = (await this.uow.manager().query(
      `SELECT task_id, count(*) FILTER (WHERE status = 'done')::int AS done, count(*) FILTER (WHERE status = 'failed')::int AS failed
         FROM task_items WHERE task_id = ANY($1::varchar[]) GROUP BY task_id`,
      [unfinished.map((t) => t.id)],
    )) as { task_id: string; done: number; failed: number }[];
    const byId = new Map(counts.map((c) => [c.task_id, c]));
    for (const t of unfinished) {
      const c = byId.get(t.id);
      t.done = c?.done ?? 0;
      t.failed = c?.failed ?? 0;
    }
  }

  /** Newest first, keyset-paginated on (created_at, id); progress of unfinished tasks counted from their items. */
  async list(q: TaskListQuery): Promise<TaskListResponseDto> {
    const tx = this.uow.manager();
    const limit = q.limit ?? 50;
    const qb = tx
      .getRepository(TaskEntity)
      .createQueryBuilder('t')
      .orderBy('t.createdAt', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .limit(limit + 1);
    if (q.status !== undefined) qb.andWhere('t.status = :status', { status: q.status });
    if (q.kind !== undefined) qb.andWhere('t.kind = :kind', { kind: q.kind });
    if (q.cursor !== undefined) {
      const { createdAt: at, id } = decodeCursor(q.cursor);
      qb.andWhere('(t.created_at, t.id) < (:at::timestamptz, :id)', { at, id });
    }
    const rows = await qb.getMany();
    const page = rows.slice(0, limit);
    await this.countProgress(page);
    const last = page[page.length - 1];
    annotateAudit({ details: { count: page.length } });
    return {
      items: page.map((t) => ({
        task_id: t.id,
        kind: t.kind,
        status: t.status,
        progress: { done: t.done, failed: t.failed, total: t.total },
        status_url: statusUrl(t.id),
        created_by: t.createdBy,
        created_at: t.createdAt.toISOString(),
        started_at: t.startedAt?.toISOString() ?? null,
        finished_at: t.finishedAt?.toISOString() ?? null,
      })),
      next_cursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null,
    };
  }
}
