import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row per key id that stored data is encrypted under. At boot every row's key must be in the
 * key ring and open its `sealed` record, or the service refuses to start (see KeyCheck).
 */
@Entity('key_checks')
export class KeyCheckEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  keyId: string;

  /** A fixed text sealed under this key; null for rows seeded from existing versions. */
  @Column({ type: 'text', nullable: true })
  sealed: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
