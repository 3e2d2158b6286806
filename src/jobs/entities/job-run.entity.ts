import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type JobRunStatus = 'running' | 'succeeded' | 'failed';

/**
 * One run of a scheduled job. `(job_name, slot)` is unique: every replica's cron fires for the
 * same slot, one insert wins and the others skip, so with N replicas each run happens once.
 */
@Entity('job_runs')
@Index('job_runs_slot_key', ['jobName', 'slot'], { unique: true })
@Index('job_runs_started_idx', ['startedAt'])
export class JobRunEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', length: 48 })
  jobName: string;

  /** The scheduled time this run is for (manual runs: the request time). */
  @Column({ type: 'timestamptz' })
  slot: Date;

  @Column({ type: 'varchar', length: 10 })
  trigger: 'schedule' | 'manual';

  @Column({ type: 'varchar', length: 256 })
  triggeredBy: string;

  @Column({ type: 'varchar', length: 10 })
  status: JobRunStatus;

  @Column({ type: 'timestamptz' })
  startedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  /** Value-free outcome figures (secrets checked, rotated, flagged …). */
  @Column({ type: 'jsonb', default: {} })
  counts: Record<string, number | string>;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  error: string | null;
}
