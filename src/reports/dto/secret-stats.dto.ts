import { ApiProperty } from '@nestjs/swagger';

export class RotationCountsDto {
  @ApiProperty() succeeded: number;
  @ApiProperty() failed: number;
}

export class RotationWindowsDto {
  @ApiProperty({ type: RotationCountsDto }) last_24h: RotationCountsDto;
  @ApiProperty({ type: RotationCountsDto }) last_7d: RotationCountsDto;
  @ApiProperty({ type: RotationCountsDto }) last_30d: RotationCountsDto;
}

export class OldestRotationDto {
  @ApiProperty() secret_id: string;
  @ApiProperty() secret_name: string;
  @ApiProperty({ description: 'Last rotation, or creation when never rotated' }) since: string;
  @ApiProperty() age_seconds: number;
}

export class FindingCountsDto {
  @ApiProperty() total: number;
  @ApiProperty() critical: number;
  @ApiProperty() warning: number;
  @ApiProperty() info: number;
}

const countMap = { type: 'object', additionalProperties: { type: 'integer' } } as const;

/** GET /api/v1/secrets/stats: live (not deleted) secrets unless said otherwise. */
export class SecretStatsDto {
  @ApiProperty() generated_at: string;
  @ApiProperty({ description: 'Live secrets' }) total: number;
  @ApiProperty({ ...countMap, example: { API_KEY: 3, DATABASE_PASSWORD: 2 } }) by_type: Record<string, number>;
  @ApiProperty({ ...countMap, example: { local: 5 } }) by_store: Record<string, number>;
  @ApiProperty({ ...countMap, example: { none: 3, completed: 2 } }) by_rotation_status: Record<string, number>;
  @ApiProperty({ description: 'expires_at <= now' }) expired: number;
  @ApiProperty({ description: 'now < expires_at <= now + 7 days' }) expiring_within_7_days: number;
  @ApiProperty({ description: 'now < expires_at <= now + 30 days (includes the 7-day ones)' }) expiring_within_30_days: number;
  @ApiProperty({ description: 'next_rotation_at < now' }) rotation_overdue: number;
  @ApiProperty({ type: RotationWindowsDto, description: 'Rotations that finished in the window' }) rotations: RotationWindowsDto;
  @ApiProperty({ description: 'Successful value reads (secret.value_read audit rows) in the last 24 h' }) value_reads_last_24h: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Longest time any live secret has gone without rotation' })
  oldest_rotation_age_seconds: number | null;
  @ApiProperty({ type: OldestRotationDto, nullable: true }) oldest_rotation: OldestRotationDto | null;
  @ApiProperty({ type: FindingCountsDto, description: 'Open security findings' }) open_security_findings: FindingCountsDto;
}
