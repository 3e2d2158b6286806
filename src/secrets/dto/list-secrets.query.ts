import { PageQuery } from '../../common/page-query.js';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { MAX_QUERY_ARRAY } from '../../common/input-limits.js';
import { ArrayMaxSize, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { SECRET_TYPES } from '../../crypto/index.js';

const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);
const toArray = ({ value }: { value: unknown }) => (value === undefined ? undefined : Array.isArray(value) ? value : [value]);

/** Longest look-ahead of `expiring_within_days`. */
export const MAX_EXPIRING_WITHIN_DAYS = 365;

export const ROTATION_STATUSES = ['none', 'pending', 'in_progress', 'completed', 'failed', 'rotation_due'] as const;

export class ListSecretsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: SECRET_TYPES })
  @IsOptional()
  @IsIn(SECRET_TYPES as unknown as string[])
  secret_type?: string;

  @ApiPropertyOptional({ description: 'Only secrets past their expires_at' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  expired_only?: boolean;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_EXPIRING_WITHIN_DAYS,
    description: 'Only secrets not yet expired whose expires_at is within this many days (now < expires_at <= now + N days); excludes expired_only=true',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_EXPIRING_WITHIN_DAYS)
  expiring_within_days?: number;

  @ApiPropertyOptional({ type: [String], description: 'key:value, repeatable (all must match)' })
  @IsOptional()
  @Transform(toArray)
  @ArrayMaxSize(MAX_QUERY_ARRAY)
  @IsString({ each: true })
  @Matches(/^[^:]{1,128}:.{0,128}$/, { each: true, message: 'tag must be key:value' })
  tag?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(128)
  name_prefix?: string;

  @ApiPropertyOptional({ enum: ROTATION_STATUSES })
  @IsOptional()
  @IsIn(ROTATION_STATUSES as unknown as string[])
  rotation_status?: string;

  @ApiPropertyOptional({ description: 'Only secrets that a consumer seen within CONSUMER_ACTIVE_DAYS still reads at a non-current version' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  stale_consumers?: boolean;
}
