import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { IsOmittable, IsTimestamp } from '../../common/input-limits.js';
import { PageQuery } from '../../common/page-query.js';
import type { IncidentStatus } from '../entities/incident.entity.js';
import type { IncidentSecretOutcome } from '../entities/incident-secret.entity.js';

/** An exact JWT sub: 1-256 characters, no control characters. */
const SUB = /^[^\u0000-\u001f\u007f]{1,256}$/;
export const INCIDENT_STATUSES: IncidentStatus[] = ['in_progress', 'completed', 'completed_with_errors'];
export const SECRET_OUTCOMES: IncidentSecretOutcome[] = ['pending', 'rotated', 'manual_rotation_required', 'rotation_failed', 'secret_gone'];
/** Longest window an incident may cover. */
export const MAX_INCIDENT_WINDOW_DAYS = 366;
/** Most secrets listed on one incident's detail. */
export const MAX_LISTED_SECRETS = 1000;

export class OpenIncidentDto {
  @ApiProperty({ example: 'svc-billing', description: 'The JWT sub whose reads are treated as leaked; its tokens are refused until the lockout is lifted' })
  @IsString()
  @Matches(SUB, { message: 'subject must be 1-256 characters without control characters' })
  subject: string;

  @ApiProperty({ example: '2026-11-30T00:00:00Z', description: 'Start of the window (ISO 8601): value reads at or after it count' })
  @IsTimestamp()
  from: string;

  @ApiPropertyOptional({ example: '2026-12-02T08:00:00Z', description: 'End of the window (exclusive, not in the future); default now' })
  @IsOmittable()
  @IsTimestamp()
  to?: string;

  @ApiProperty({ example: 'token of svc-billing found in a public CI log', maxLength: 500 })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason: string;
}

export class LiftLockoutDto {
  @ApiPropertyOptional({ example: 'new credentials issued to svc-billing', maxLength: 500 })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class IncidentListQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only incidents of this subject' })
  @IsOptional()
  @IsString()
  @Matches(SUB, { message: 'subject must be 1-256 characters without control characters' })
  subject?: string;

  @ApiPropertyOptional({ enum: INCIDENT_STATUSES })
  @IsOptional()
  @IsIn(INCIDENT_STATUSES)
  status?: IncidentStatus;
}

export class IncidentProgressDto {
  @ApiProperty({ description: 'Secrets the subject read in the window' }) total: number;
  @ApiProperty({ description: 'Secrets the response has handled so far' }) processed: number;
  @ApiProperty() rotated: number;
  @ApiProperty({ description: 'Flagged for manual rotation (no value can be generated for them)' }) manual_rotation_required: number;
  @ApiProperty() rotation_failed: number;
  @ApiProperty({ description: 'Deleted since the reads' }) secret_gone: number;
}

export class IncidentLockoutDto {
  @ApiProperty({ description: 'True while this incident refuses the subject\'s tokens' }) active: boolean;
  @ApiProperty({ nullable: true, type: String }) lifted_at: string | null;
  @ApiProperty({ nullable: true, type: String }) lifted_by: string | null;
  @ApiProperty({ nullable: true, type: String }) lift_reason: string | null;
}

export class IncidentSummaryDto {
  @ApiProperty({ example: 'inc_AAAAAAAAAAAAAAAA' }) id: string;
  @ApiProperty() subject: string;
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty() reason: string;
  @ApiProperty({ enum: INCIDENT_STATUSES }) status: IncidentStatus;
  @ApiProperty() task_id: string;
  @ApiProperty({ example: '/api/v1/secrets/task/task_abc/status' }) status_url: string;
  @ApiProperty({ type: IncidentProgressDto }) progress: IncidentProgressDto;
  @ApiProperty({ type: IncidentLockoutDto }) lockout: IncidentLockoutDto;
  @ApiProperty() created_at: string;
  @ApiProperty() created_by: string;
  @ApiProperty({ nullable: true, type: String }) finished_at: string | null;
}

export class IncidentSecretDto {
  @ApiProperty() secret_id: string;
  @ApiProperty({ nullable: true, type: String }) secret_name: string | null;
  @ApiProperty({ nullable: true, type: String }) secret_type: string | null;
  @ApiProperty({ description: 'Value reads by the subject in the window' }) reads: number;
  @ApiProperty() first_read_at: string;
  @ApiProperty() last_read_at: string;
  @ApiProperty({ enum: SECRET_OUTCOMES }) outcome: IncidentSecretOutcome;
  @ApiProperty({ nullable: true, type: String }) rotation_id: string | null;
  @ApiProperty({ nullable: true, type: Number }) from_version: number | null;
  @ApiProperty({ nullable: true, type: Number }) to_version: number | null;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty() updated_at: string;
}

export class IncidentResponseDto extends IncidentSummaryDto {
  @ApiProperty({ type: [IncidentSecretDto], description: `Every secret the subject read in the window (at most ${MAX_LISTED_SECRETS}, by name); never a value` })
  secrets: IncidentSecretDto[];
}

export class IncidentListResponseDto {
  @ApiProperty({ type: [IncidentSummaryDto] }) items: IncidentSummaryDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}
