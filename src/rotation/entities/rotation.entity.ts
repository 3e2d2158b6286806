import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { RotationFailureCause } from '../rotation-failure.js';

export type RotationState = 'pending' | 'in_progress' | 'completed' | 'failed';
export type RotationTrigger = 'manual' | 'schedule' | 'bulk' | 'emergency';

/**
 * One rotation of one secret: `pending → in_progress → completed | failed`. A partial unique
 * index allows one unfinished rotation per secret, so two rotations never both win.
 */
@Entity('secret_rotations')
@Index('secret_rotations_one_active', ['secretId'], { unique: true, where: "status IN ('pending', 'in_progress')" })
@Index('secret_rotations_secret_idx', ['secretId', 'createdAt'])
@Index('secret_rotations_finished_idx', ['finishedAt'])
export class RotationEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ type: 'varchar', length: 40 })
  secretId: string;

  @Column({ type: 'varchar', length: 12 })
  status: RotationState;

  @Column({ type: 'varchar', length: 12 })
  trigger: RotationTrigger;

  /** Actor sub, or `system:<job>` for scheduled rotations. */
  @Column({ type: 'varchar', length: 256 })
  triggeredBy: string;

  @Column({ type: 'varchar', length: 24 })
  rotator: string;

  @Column({ type: 'boolean', default: false })
  emergency: boolean;

  @Column({ type: 'varchar', length: 500, nullable: true })
  reason: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** Why the last attempt failed; never a value. */
  @Column({ type: 'varchar', length: 1000, nullable: true })
  lastError: string | null;

  /** The typed reason behind `lastError` (rotation-failure.ts): what decides the HTTP status, not the message. */
  @Column({ type: 'varchar', length: 24, nullable: true })
  failureCause: RotationFailureCause | null;

  @Column({ type: 'integer', nullable: true })
  fromVersion: number | null;

  @Column({ type: 'integer', nullable: true })
  toVersion: number | null;

  @Column({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  /** Heartbeat: an unfinished rotation not updated for a while was interrupted and is resumed. */
  @Column({ type: 'timestamptz' })
  updatedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
