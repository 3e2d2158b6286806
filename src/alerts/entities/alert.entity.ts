import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A security alert as raised (value-free). Alerts with the same dedupe key are stored once. */
@Entity('alerts')
@Index('alerts_dedupe_key', ['dedupeKey'], { unique: true, where: 'dedupe_key IS NOT NULL' })
@Index('alerts_occurred_idx', ['occurredAt'])
export class AlertEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ type: 'varchar', length: 32 })
  kind: string;

  @Column({ type: 'varchar', length: 10 })
  severity: 'info' | 'warning' | 'critical';

  @Column({ type: 'varchar', length: 500 })
  summary: string;

  @Column({ type: 'jsonb', default: {} })
  details: Record<string, unknown>;

  @Column({ type: 'timestamptz' })
  occurredAt: Date;

  @Column({ type: 'varchar', length: 200, nullable: true })
  dedupeKey: string | null;
}
