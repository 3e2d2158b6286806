import { IsOmittable, IsTimestamp } from '../../common/input-limits.js';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, Max, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';
import { RotatorConfigDto } from './create-secret.dto.js';
import { IsStringMap } from '../../common/validators.js';

/** PATCH: only the fields given change; `null` clears expires_at, description or rotator. */
export class UpdateSecretDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Replaces all tags' })
  @IsOmittable()
  @IsStringMap(50, 128)
  tags?: Record<string, string>;

  @ApiPropertyOptional({ nullable: true, maxLength: 1024 })
  @ValidateIf((o: UpdateSecretDto) => o.description !== null && o.description !== undefined)
  @IsString()
  @MaxLength(1024)
  description?: string | null;

  @ApiPropertyOptional({ minimum: 1, maximum: 3650 })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(3650)
  rotation_interval_days?: number;

  @ApiPropertyOptional({ nullable: true, minimum: 0, maximum: 8760, description: 'Hours the previous version stays readable after a rotation; null: ROTATION_GRACE_PERIOD_HOURS' })
  @ValidateIf((o: UpdateSecretDto) => o.grace_period_hours !== null && o.grace_period_hours !== undefined)
  @IsInt()
  @Min(0)
  @Max(8760)
  grace_period_hours?: number | null;

  @ApiPropertyOptional({ nullable: true, format: 'date-time' })
  @ValidateIf((o: UpdateSecretDto) => o.expires_at !== null && o.expires_at !== undefined)
  @IsTimestamp()
  expires_at?: string | null;

  @ApiPropertyOptional({ type: RotatorConfigDto, nullable: true })
  @ValidateIf((o: UpdateSecretDto) => o.rotator !== null && o.rotator !== undefined)
  @ValidateNested()
  @Type(() => RotatorConfigDto)
  rotator?: RotatorConfigDto | null;
}
