import { IsOmittable } from '../../common/input-limits.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsString, Max, Min, MinLength } from 'class-validator';
import { PG_INT_MAX } from '../../common/input-limits.js';
import { MAX_VALUE_BYTES } from './create-secret.dto.js';
import { MaxBytes } from '../../common/validators.js';

export class PutValueDto {
  @ApiProperty({ writeOnly: true })
  @IsString()
  @MinLength(1)
  @MaxBytes(MAX_VALUE_BYTES)
  value: string;

  @ApiPropertyOptional({ description: 'Check-and-set: the version you read; a mismatch is 409' })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(PG_INT_MAX)
  expected_version?: number;
}
