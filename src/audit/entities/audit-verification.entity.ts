import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One verification of the sealed chain, by any replica: the fleet's `audit_chain_valid` gauge is
 * computed from these rows, so every replica reports the same. `full` walks the whole chain;
 * `incremental` only the rows since the newest checkpoint (a failing one also counts).
 */
@Entity('audit_verifications')
export class AuditVerificationEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', length: 12 })
  kind: 'full' | 'incremental';

  @Column({ type: 'timestamptz' })
  verifiedAt: Date;

  @Column({ type: 'boolean' })
  valid: boolean;

  @Column({ type: 'bigint' })
  checked: string;

  @Column({ type: 'bigint', nullable: true })
  headSeq: string | null;

  @Column({ type: 'bigint' })
  unsealed: string;

  @Column({ type: 'varchar', length: 40, nullable: true })
  firstInvalidId: string | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;
}
