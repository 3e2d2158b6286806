import { IsOmittable } from '../../common/input-limits.js';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { MAX_VALUE_BYTES } from '../../secrets/dto/create-secret.dto.js';
import { MaxBytes } from '../../common/validators.js';

export class RotateSecretDto {
  @ApiPropertyOptional({ description: 'The new value (required for types that cannot be generated)', writeOnly: true })
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @MaxBytes(MAX_VALUE_BYTES)
  value?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({ description: 'Destroy the previous version at once instead of keeping it readable' })
  @IsOmittable()
  @IsBoolean()
  emergency?: boolean;
}

export class RotateQuery {
  @ApiPropertyOptional({ description: 'Check everything the rotation needs and change nothing' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  dry_run?: boolean;
}
