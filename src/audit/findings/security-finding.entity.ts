import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type FindingKind =
  | 'value_read_spike'
  | 'repeated_denials'
  | 'unusual_hour'
  | 'deleted_or_expired_read'
  | 'new_actor'
  | 'integrity_failure'
  | 'audit_chain_broken';

/** Something the access-pattern analysis or the integrity check found; shown in reports. */
@Entity('security_findings')
@Index('security_findings_dedupe_key', ['dedupeKey'], { unique: true })
@Index('security_findings_open_idx', ['status', 'kind'])
@Index('security_findings_detected_idx', ['detectedAt'])
export class SecurityFindingEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ type: 'varchar', length: 32 })
  kind: FindingKind;

  @Column({ type: 'varchar', length: 10 })
  severity: 'info' | 'warning' | 'critical';

  @Column({ type: 'varchar', length: 500 })
  summary: string;

  @Column({ type: 'varchar', length: 256, nullable: true })
  actor: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  clientIp: string | null;

  @Column({ type: 'varchar', length: 40, nullable: true })
  secretId: string | null;

  @Column({ type: 'jsonb', default: {} })
  details: Record<string, unknown>;

  @Column({ type: 'timestamptz' })
  detectedAt: Date;

  @Column({ type: 'varchar', length: 10, default: 'open' })
  status: 'open' | 'resolved';

  /** Same finding found again (next analysis run) is not stored twice. */
  @Column({ type: 'varchar', length: 200 })
  dedupeKey: string;
}
