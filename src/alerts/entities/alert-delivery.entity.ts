import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One alert to one webhook: delivered in the background with retries; the outcome is kept. */
@Entity('alert_deliveries')
@Index('alert_deliveries_due_idx', ['status', 'nextAttemptAt'], { where: "status = 'pending'" })
@Index('alert_deliveries_alert_idx', ['alertId'])
export class AlertDeliveryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', length: 40 })
  alertId: string;

  /** The webhook URL (from config only). */
  @Column({ type: 'varchar', length: 2048 })
  target: string;

  @Column({ type: 'varchar', length: 10 })
  status: 'pending' | 'delivered' | 'failed';

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ type: 'integer', nullable: true })
  lastStatus: number | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  @Column({ type: 'timestamptz' })
  nextAttemptAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;
}
