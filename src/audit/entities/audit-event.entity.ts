import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One append-only audit row. `seq` is the position in the hash chain (gapless, assigned under the
 * chain lock); `hash = SHA-256(prev_hash ‖ canonical row)` (see audit-chain.ts).
 */
@Entity('audit_events')
@Index('audit_events_time_idx', ['occurredAt'])
@Index('audit_events_secret_idx', ['secretId', 'seq'])
@Index('audit_events_actor_idx', ['actor', 'seq'])
@Index('audit_events_action_idx', ['action', 'seq'])
export class AuditEventEntity {
  @PrimaryColumn({ type: 'bigint' })
  seq: string;

  @Column({ type: 'timestamptz' })
  occurredAt: Date;

  @Column({ type: 'varchar', length: 256 })
  actor: string;

  @Column({ type: 'text', array: true })
  roles: string[];

  @Column({ type: 'varchar', length: 48 })
  action: string;

  @Column({ type: 'varchar', length: 8 })
  outcome: string;

  @Column({ type: 'varchar', length: 40, nullable: true })
  secretId: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  secretName: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  clientIp: string | null;

  @Column({ type: 'varchar', length: 256, nullable: true })
  userAgent: string | null;

  @Column({ type: 'jsonb', default: {} })
  details: Record<string, string | number | boolean | null>;

  @Column({ type: 'char', length: 64 })
  prevHash: string;

  @Column({ type: 'char', length: 64 })
  hash: string;
}
