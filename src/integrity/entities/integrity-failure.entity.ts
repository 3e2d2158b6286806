import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type IntegrityProblem =
  | 'decrypt_failed'
  | 'fingerprint_mismatch'
  | 'unknown_key'
  | 'payload_missing'
  | 'store_version_mismatch'
  | 'store_unreachable'
  | 'store_orphan';

/** One problem an integrity check found (no values, only where and what). */
@Entity('integrity_failures')
@Index('integrity_failures_check_idx', ['checkId'])
export class IntegrityFailureEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', length: 40 })
  checkId: string;

  @Column({ type: 'varchar', length: 40 })
  secretId: string;

  @Column({ type: 'varchar', length: 128, nullable: true })
  secretName: string | null;

  @Column({ type: 'integer', nullable: true })
  version: number | null;

  @Column({ type: 'varchar', length: 32 })
  problem: IntegrityProblem;

  @Column({ type: 'varchar', length: 500 })
  detail: string;
}
