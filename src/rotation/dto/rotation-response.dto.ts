import { ApiProperty } from '@nestjs/swagger';
import type { RotationEntity } from '../entities/rotation.entity.js';
import type { RotationCheck } from '../rotator.port.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export class RotationResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() secret_id: string;
  @ApiProperty({ enum: ['pending', 'in_progress', 'completed', 'failed'] }) status: string;
  @ApiProperty({ enum: ['manual', 'schedule', 'bulk', 'emergency'] }) trigger: string;
  @ApiProperty() triggered_by: string;
  @ApiProperty() rotator: string;
  @ApiProperty() emergency: boolean;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty() attempts: number;
  @ApiProperty({ nullable: true, type: String }) last_error: string | null;
  @ApiProperty({ nullable: true, type: Number }) from_version: number | null;
  @ApiProperty({ nullable: true, type: Number }) to_version: number | null;
  @ApiProperty() created_at: string;
  @ApiProperty({ nullable: true, type: String }) started_at: string | null;
  @ApiProperty({ nullable: true, type: String }) finished_at: string | null;
  @ApiProperty({
    required: false,
    description: 'History of a completed rotation: consumers seen within CONSUMER_ACTIVE_DAYS, and how many have read to_version (or later)',
  })
  consumers?: { active: number; moved: number };

  static from(r: RotationEntity): RotationResponseDto {
    return Object.assign(new RotationResponseDto(), {
      id: r.id,
      secret_id: r.secretId,
      status: r.status,
      trigger: r.trigger,
      triggered_by: r.triggeredBy,
      rotator: r.rotator,
      emergency: r.emergency,
      reason: r.reason,
      attempts: r.attempts,
      last_error: r.lastError,
      from_version: r.fromVersion,
      to_version: r.toVersion,
      created_at: r.createdAt.toISOString(),
      started_at: iso(r.startedAt),
      finished_at: iso(r.finishedAt),
    });
  }
}

export class RotationCheckDto {
  @ApiProperty() check: string;
  @ApiProperty() ok: boolean;
  @ApiProperty({ required: false }) detail?: string;
}

export class DryRunResponseDto {
  @ApiProperty() secret_id: string;
  @ApiProperty() dry_run: true;
  @ApiProperty({ description: 'true when every check passed' }) ready: boolean;
  @ApiProperty() rotator: string;
  @ApiProperty({ type: [RotationCheckDto] }) checks: RotationCheck[];
}
