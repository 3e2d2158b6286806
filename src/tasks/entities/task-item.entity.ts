import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type TaskItemStatus = 'pending' | 'done' | 'failed';

/**
 * One unit of a task (one secret). Workers claim items with a lease (FOR UPDATE SKIP LOCKED), so
 * with several replicas each item is worked on by one of them; an item whose worker died is taken
 * again when its lease runs out. Handlers make re-running an item safe (exactly-once effects).
 */
@Entity('task_items')
// Pending items in claim order, and by target ("is this secret already queued?").
@Index('task_items_pending_idx', ['taskId', 'seq'], { where: "status = 'pending'" })
@Index('task_items_pending_target_idx', ['target'], { where: "status = 'pending'" })
export class TaskItemEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  taskId: string;

  @PrimaryColumn({ type: 'integer' })
  seq: number;

  @Column({ type: 'varchar', length: 64 })
  target: string;

  @Column({ type: 'varchar', length: 8, default: 'pending' })
  status: TaskItemStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** Handler state that must survive a crash (e.g. the rotation this item started). */
  @Column({ type: 'varchar', length: 40, nullable: true })
  ref: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
