import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Failed authentications of one client address in one fixed window, shared by every replica.
 * Rows are deleted once the window has closed (and its aggregated audit row is written).
 */
@Entity('auth_failure_windows')
@Index('auth_failure_windows_end_idx', ['windowEnd'])
export class AuthFailureWindowEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  clientAddress: string;

  @PrimaryColumn({ type: 'timestamptz' })
  windowStart: Date;

  @Column({ type: 'timestamptz' })
  windowEnd: Date;

  @Column({ type: 'integer', default: 0 })
  failures: number;

  /** Denials past the limit that have no audit row of their own: one aggregated row counts them. */
  @Column({ type: 'integer', default: 0 })
  suppressed: number;
}
