import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Min, MinLength } from 'class-validator';
import { MAX_VALUE_BYTES } from './create-secret.dto.js';
import { MaxBytes } from './validators.js';

export class PutValueDto {
  @ApiProperty({ writeOnly: true })
  @IsString()
  @MinLength(1)
  @MaxBytes(MAX_VALUE_BYTES)
  value: string;

  @ApiPropertyOptional({ description: 'Check-and-set: the version you read; a mismatch is 409' })
  @IsOptional()
  @IsInt()
  @Min(1)
  expected_version?: number;
}
