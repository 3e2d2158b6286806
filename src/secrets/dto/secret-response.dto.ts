import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { SecretEntity } from '../entities/secret.entity.js';
import type { SecretVersionEntity } from '../entities/secret-version.entity.js';
import type { ConsumerRow } from '../secret-consumers.service.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A secret's metadata as the API shows it. Never the value, never store internals. */
export class SecretResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() secret_type: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ description: 'Current version number' }) version: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) tags: Record<string, string>;
  @ApiProperty({ enum: ['local', 'vault'] }) store: 'local' | 'vault';
  @ApiProperty() encrypt_locally: boolean;
  @ApiProperty() created_at: string;
  @ApiProperty() created_by: string;
  @ApiProperty() updated_at: string;
  @ApiProperty({ nullable: true, type: String }) expires_at: string | null;
  @ApiProperty({ nullable: true, type: String }) last_rotated_at: string | null;
  @ApiProperty({ nullable: true, type: String }) next_rotation_at: string | null;
  @ApiProperty({ nullable: true, type: Number }) rotation_interval_days: number | null;
  @ApiProperty() rotation_status: string;
  @ApiProperty({ nullable: true, type: Number, description: 'Hours the previous version stays readable after a rotation; null: ROTATION_GRACE_PERIOD_HOURS' })
  grace_period_hours: number | null;
  @ApiPropertyOptional({ nullable: true, type: Object }) rotator: Record<string, unknown> | null;
  @ApiPropertyOptional({ nullable: true, type: String }) deleted_at?: string | null;
  @ApiPropertyOptional({ description: 'GET /secrets/{id} only: consumers seen within CONSUMER_ACTIVE_DAYS, and how many of them read the current version' })
  consumers?: { active: number; on_current: number };

  static from(s: SecretEntity): SecretResponseDto {
    const dto = new SecretResponseDto();
    dto.id = s.id;
    dto.name = s.name;
    dto.secret_type = s.secretType;
    dto.description = s.description;
    dto.version = s.currentVersion;
    dto.tags = s.tags;
    dto.store = s.store;
    dto.encrypt_locally = s.encryptLocally;
    dto.created_at = s.createdAt.toISOString();
    dto.created_by = s.createdBy;
    dto.updated_at = s.updatedAt.toISOString();
    dto.expires_at = iso(s.expiresAt);
    dto.last_rotated_at = iso(s.lastRotatedAt);
    dto.next_rotation_at = iso(s.nextRotationAt);
    dto.rotation_interval_days = s.rotationIntervalDays;
    dto.rotation_status = s.rotationStatus;
    dto.grace_period_hours = s.gracePeriodHours ?? null;
    dto.rotator = s.rotator ? { ...s.rotator } : null;
    if (s.deletedAt) dto.deleted_at = iso(s.deletedAt);
    return dto;
  }
}

export class SecretListResponseDto {
  @ApiProperty({ type: [SecretResponseDto] }) items: SecretResponseDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as cursor for the next page; null on the last page' })
  next_cursor: string | null;
}

export class SecretValueResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() secret_type: string;
  @ApiProperty() version: number;
  @ApiProperty() value: string;
}

export class SecretVersionResponseDto {
  @ApiProperty() version: number;
  @ApiProperty({ enum: ['current', 'previous', 'retired', 'deprecated', 'pending', 'destroyed'] }) state: string;
  @ApiProperty() created_at: string;
  @ApiProperty() created_by: string;
  @ApiProperty({ nullable: true, type: String }) destroyed_at: string | null;

  static from(v: SecretVersionEntity): SecretVersionResponseDto {
    const dto = new SecretVersionResponseDto();
    dto.version = v.version;
    dto.state = v.state;
    dto.created_at = v.createdAt.toISOString();
    dto.created_by = v.createdBy;
    dto.destroyed_at = iso(v.destroyedAt);
    return dto;
  }
}

export class SecretConsumerDto {
  @ApiProperty({ description: 'The reader: the token sub' }) sub: string;
  @ApiProperty({ description: 'The version it received on its last read' }) last_version: number;
  @ApiProperty() on_current_version: boolean;
  @ApiProperty({ description: 'Seen within CONSUMER_ACTIVE_DAYS' }) active: boolean;
  @ApiProperty() first_read_at: string;
  @ApiProperty() last_read_at: string;
  @ApiProperty() read_count: number;
}

export class SecretConsumersResponseDto {
  @ApiProperty() secret_id: string;
  @ApiProperty() current_version: number;
  @ApiProperty({ type: [SecretConsumerDto], description: 'Most recent reader first (at most 1000)' }) consumers: SecretConsumerDto[];

  static from(s: SecretEntity, rows: ConsumerRow[], activeSince: Date): SecretConsumersResponseDto {
    const dto = new SecretConsumersResponseDto();
    dto.secret_id = s.id;
    dto.current_version = s.currentVersion;
    dto.consumers = rows.map((r) => ({
      sub: r.sub,
      last_version: r.last_version,
      on_current_version: r.last_version >= s.currentVersion,
      active: new Date(r.last_read_at) >= activeSince,
      first_read_at: new Date(r.first_read_at).toISOString(),
      last_read_at: new Date(r.last_read_at).toISOString(),
      read_count: Number(r.read_count),
    }));
    return dto;
  }
}

export class SecretTypeResponseDto {
  @ApiProperty() type: string;
  @ApiProperty() description: string;
  @ApiProperty() auto_generation: boolean;
  @ApiProperty({ nullable: true, type: String }) default_length: string | null;
}
