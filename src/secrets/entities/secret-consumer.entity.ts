import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Who reads a secret's value (`sub` of the token) and which version it last received. One row
 * per (secret, consumer), upserted by every value read (SecretConsumers.record).
 */
@Entity('secret_consumers')
export class SecretConsumerEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  secretId: string;

  @PrimaryColumn({ type: 'varchar', length: 256 })
  sub: string;

  @Column({ type: 'integer' })
  lastVersion: number;

  @Column({ type: 'timestamptz' })
  firstReadAt: Date;

  @Column({ type: 'timestamptz' })
  lastReadAt: Date;

  @Column({ type: 'bigint' })
  readCount: string;
}
