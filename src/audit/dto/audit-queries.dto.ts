import { IsTimestamp } from '../../common/input-limits.js';
import { PageQuery } from '../../common/page-query.js';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class AuditEventsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Exact actor (JWT sub, or system:<job>, or anonymous)' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  actor?: string;

  @ApiPropertyOptional({ example: 'secret.value_read' })
  @IsOptional()
  @IsString()
  @MaxLength(48)
  action?: string;

  @ApiPropertyOptional({ example: 'sec_2J5kq0c9mR8xT1vQ' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  secret_id?: string;

  @ApiPropertyOptional({ enum: ['success', 'denied', 'error'] })
  @IsOptional()
  @IsIn(['success', 'denied', 'error'])
  outcome?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; events at or after' })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; events before' })
  @IsOptional()
  @IsTimestamp()
  to?: string;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @Matches(/^\d{1,19}$/, { message: 'cursor is not valid; pass next_cursor from the previous page' })
  declare cursor?: string;
}

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class AuditExportQuery {
  @ApiPropertyOptional({ description: 'ISO 8601; the export starts at the first event at or after it' })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; the export ends at the last event before it' })
  @IsOptional()
  @IsTimestamp()
  to?: string;

  @ApiPropertyOptional({
    enum: EXPORT_FORMATS,
    default: 'jsonl',
    description: 'jsonl: rows with hashes and signed checkpoints (verifiable offline); csv: one row per event',
  })
  @IsOptional()
  @IsIn(EXPORT_FORMATS as unknown as string[])
  format?: ExportFormat;
}

export class FindingsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['value_read_spike', 'repeated_denials', 'unusual_hour', 'deleted_or_expired_read', 'new_actor', 'integrity_failure', 'audit_chain_broken'] })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  kind?: string;
}
