import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed';

/** A background task (bulk rotation, integrity check, key re-wrap …) with persisted progress. */
@Entity('tasks')
@Index('tasks_status_idx', ['status', 'createdAt'])
export class TaskEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ type: 'varchar', length: 32 })
  kind: string;

  @Column({ type: 'varchar', length: 12 })
  status: TaskStatus;

  @Column({ type: 'jsonb', default: {} })
  params: Record<string, unknown>;

  @Column({ type: 'integer' })
  total: number;

  @Column({ type: 'integer', default: 0 })
  done: number;

  @Column({ type: 'integer', default: 0 })
  failed: number;

  @Column({ type: 'varchar', length: 256 })
  createdBy: string;

  @Column({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  /** Value-free summary the task's handler leaves when it completes (e.g. integrity counts). */
  @Column({ type: 'jsonb', nullable: true })
  result: Record<string, unknown> | null;
}
