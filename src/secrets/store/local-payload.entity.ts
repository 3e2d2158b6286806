import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A payload held by the local store: always an envelope (ciphertext), never a plain value. */
@Entity('local_secret_payloads')
export class LocalPayloadEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  secretId: string;

  @PrimaryColumn({ type: 'integer' })
  storeVersion: number;

  /** Null once the version is destroyed (the row stays so version numbers are never reused). */
  @Column({ type: 'text', nullable: true })
  payload: string | null;
}
