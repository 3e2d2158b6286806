import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One append-only audit row. Writers insert it *unsealed* (seq, prev_hash and hash NULL) in their
 * own transaction; the sealer later sets `seq` (the position in the hash chain, gapless) and
 * `hash = SHA-256(prev_hash ‖ canonical row)` exactly once (src/audit/audit-chain.ts). `id` is
 * only the insert identity: rows commit out of id order, and the chain order is seq.
 * `inserted_at` is set by a trigger (migration AuditSealer), never by a writer.
 */
@Entity('audit_events')
@Index('audit_events_seq_key', ['seq'], { unique: true })
@Index('audit_events_unsealed_idx', ['id'], { where: 'seq IS NULL' })
@Index('audit_events_time_idx', ['occurredAt'])
@Index('audit_events_secret_idx', ['secretId', 'seq'])
@Index('audit_events_actor_idx', ['actor', 'seq'])
@Index('audit_events_action_idx', ['action', 'seq'])
export class AuditEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'bigint', nullable: true })
  seq: string | null;

  /** statement_timestamp() of the insert, by the database clock: what the seal lag is measured from. */
  @Column({ type: 'timestamptz' })
  insertedAt: Date;

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

  @Column({ type: 'char', length: 64, nullable: true })
  prevHash: string | null;

  @Column({ type: 'char', length: 64, nullable: true })
  hash: string | null;
}
