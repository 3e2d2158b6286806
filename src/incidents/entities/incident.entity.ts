import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type IncidentStatus = 'in_progress' | 'completed' | 'completed_with_errors';

/**
 * A compromise response (src/incidents/README.md): a subject, the window in which its reads are
 * treated as leaked, the background task that rotates and flags what it read, and the lockout
 * (in force while `lifted_at` is null; the lockout row itself belongs to auth).
 */
@Entity('incidents')
@Index('incidents_created_idx', ['createdAt', 'id'])
@Index('incidents_subject_idx', ['subject', 'createdAt'])
export class IncidentEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ type: 'varchar', length: 256 })
  subject: string;

  @Column({ type: 'timestamptz' })
  windowFrom: Date;

  @Column({ type: 'timestamptz' })
  windowTo: Date;

  @Column({ type: 'varchar', length: 500 })
  reason: string;

  @Column({ type: 'varchar', length: 24 })
  status: IncidentStatus;

  @Column({ type: 'varchar', length: 40 })
  taskId: string;

  /** Secrets the subject read in the window (one incident_secrets row each). */
  @Column({ type: 'integer' })
  secretsTotal: number;

  @Column({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'varchar', length: 256 })
  createdBy: string;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  liftedAt: Date | null;

  @Column({ type: 'varchar', length: 256, nullable: true })
  liftedBy: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  liftReason: string | null;
}
