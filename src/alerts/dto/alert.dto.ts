import { ApiProperty } from '@nestjs/swagger';
import type { AlertEntity } from '../entities/alert.entity.js';
import type { AlertDeliveryEntity } from '../entities/alert-delivery.entity.js';
import { targetHost } from '../webhook-payload.js';

export class AlertDeliveryDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'Host (and port) of the webhook; never the full URL, whose path may carry a token', example: 'hooks.slack.com' })
  target_host: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status: string;
  @ApiProperty() attempts: number;
  @ApiProperty({ nullable: true, type: Number, description: 'HTTP status of the last attempt' }) last_status: number | null;
  @ApiProperty({ nullable: true, type: String }) last_error: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'When the next attempt is due (pending only)' }) next_attempt_at: string | null;
  @ApiProperty({ nullable: true, type: String }) delivered_at: string | null;

  static from(d: AlertDeliveryEntity): AlertDeliveryDto {
    return Object.assign(new AlertDeliveryDto(), {
      id: String(d.id),
      target_host: targetHost(d.target),
      status: d.status,
      attempts: d.attempts,
      last_status: d.lastStatus,
      last_error: d.lastError,
      next_attempt_at: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
      delivered_at: d.deliveredAt?.toISOString() ?? null,
    });
  }
}

export class AlertDto {
  @ApiProperty({ example: 'alr_3kT9x0bq4hD2mZ1yWc8pLr5e' }) id: string;
  @ApiProperty({ enum: ['rotation_failed', 'secrets_expired', 'secret_expiring', 'integrity_failure', 'audit_chain_broken', 'access_pattern', 'emergency_rotation'] })
  kind: string;
  @ApiProperty({ enum: ['info', 'warning', 'critical'] }) severity: string;
  @ApiProperty() summary: string;
  @ApiProperty({ type: Object, description: 'Value-free facts: ids, names, counts, reasons' }) details: Record<string, unknown>;
  @ApiProperty() occurred_at: string;
  @ApiProperty({ type: [AlertDeliveryDto] }) deliveries: AlertDeliveryDto[];

  static from(a: AlertEntity, deliveries: AlertDeliveryDto[]): AlertDto {
    return Object.assign(new AlertDto(), {
      id: a.id,
      kind: a.kind,
      severity: a.severity,
      summary: a.summary,
      details: a.details,
      occurred_at: a.occurredAt.toISOString(),
      deliveries,
    });
  }
}

export class AlertListDto {
  @ApiProperty({ type: [AlertDto] }) items: AlertDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next (older) page' }) next_cursor: string | null;
}
