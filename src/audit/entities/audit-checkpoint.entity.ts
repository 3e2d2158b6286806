import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A signed statement of the chain head: "the chain held `rowCount` rows up to `headSeq` with hash
 * `headHash`". It makes truncating the newest rows detectable, and a `prune` checkpoint records
 * where retention cut the chain so it stays verifiable from the first kept row.
 */
@Entity('audit_checkpoints')
export class AuditCheckpointEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', length: 8 })
  kind: 'periodic' | 'prune';

  @Column({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'bigint' })
  headSeq: string;

  @Column({ type: 'char', length: 64 })
  headHash: string;

  /** For prune checkpoints: the first kept row and the hash it chains from. */
  @Column({ type: 'bigint', nullable: true })
  firstSeq: string | null;

  @Column({ type: 'char', length: 64, nullable: true })
  firstPrevHash: string | null;

  @Column({ type: 'varchar', length: 40 })
  keyId: string;

  /** Ed25519 signature (base64) over the canonical checkpoint statement. */
  @Column({ type: 'text' })
  signature: string;
}
