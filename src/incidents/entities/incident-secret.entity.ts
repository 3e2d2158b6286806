import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * `pending` until the incident's task handles the secret; then `rotated` (emergency rotation: new
 * current version, the old one destroyed at once), `manual_rotation_required` (no value can be
 * generated for it: flagged rotation_due), `rotation_failed`, or `secret_gone` (deleted since).
 */
export type IncidentSecretOutcome = 'pending' | 'rotated' | 'manual_rotation_required' | 'rotation_failed' | 'secret_gone';

/** One secret an incident's subject read in the window, and what the response did with it. Never a value. */
@Entity('incident_secrets')
export class IncidentSecretEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  incidentId: string;

  @PrimaryColumn({ type: 'varchar', length: 40 })
  secretId: string;

  @Column({ type: 'varchar', length: 128, nullable: true })
  secretName: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  secretType: string | null;

  /** Value reads by the subject in the window (from the audit log). */
  @Column({ type: 'integer' })
  reads: number;

  @Column({ type: 'timestamptz' })
  firstReadAt: Date;

  @Column({ type: 'timestamptz' })
  lastReadAt: Date;

  @Column({ type: 'varchar', length: 24 })
  outcome: IncidentSecretOutcome;

  @Column({ type: 'varchar', length: 40, nullable: true })
  rotationId: string | null;

  @Column({ type: 'integer', nullable: true })
  fromVersion: number | null;

  @Column({ type: 'integer', nullable: true })
  toVersion: number | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  error: string | null;

  @Column({ type: 'timestamptz' })
  updatedAt: Date;
}
