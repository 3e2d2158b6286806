import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One integrity validation run over every version of every secret. */
@Entity('integrity_checks')
@Index('integrity_checks_started_idx', ['startedAt'])
export class IntegrityCheckEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  /** The background task doing the work. */
  @Column({ type: 'varchar', length: 40 })
  taskId: string;

  @Column({ type: 'varchar', length: 12 })
  status: 'running' | 'completed' | 'failed';

  @Column({ type: 'varchar', length: 256 })
  triggeredBy: string;

  @Column({ type: 'timestamptz' })
  startedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'integer', default: 0 })
  secretsChecked: number;

  @Column({ type: 'integer', default: 0 })
  versionsChecked: number;

  @Column({ type: 'integer', default: 0 })
  failures: number;
}
