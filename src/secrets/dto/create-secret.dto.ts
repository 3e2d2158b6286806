import { IsOmittable, IsTimestamp } from '../../common/input-limits.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,


  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { SECRET_TYPES, type SecretType } from '../../crypto/index.js';
import { IsStringMap, MaxBytes } from './validators.js';

export const SECRET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const MAX_VALUE_BYTES = 64 * 1024;

/** Where a `postgres_role` rotator applies new DATABASE_PASSWORD values. */
export class RotatorConfigDto {
  @ApiProperty({ enum: ['postgres_role'] })
  @IsIn(['postgres_role'])
  kind: 'postgres_role';

  @ApiProperty({ example: 'db.internal' })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  host: string;

  @ApiProperty({ example: 5432 })
  @IsInt()
  @Min(1)
  @Max(65535)
  port: number;

  @ApiProperty({ example: 'app' })
  @IsString()
  @MinLength(1)
  @MaxLength(63)
  database: string;

  @ApiProperty({ example: 'app_user', description: 'The role whose password this secret holds' })
  @IsString()
  @Matches(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, { message: 'role must be a plain PostgreSQL identifier' })
  role: string;

  @ApiProperty({ description: 'Id of a DATABASE_PASSWORD secret holding the admin credential (user:password or a password for user postgres)' })
  @IsString()
  @Matches(/^sec_[A-Za-z0-9_-]{16}$/, { message: 'admin_secret_id must be a secret id' })
  admin_secret_id: string;
}

export class CreateSecretDto {
  @ApiProperty({ example: 'openai_api_key', pattern: SECRET_NAME_PATTERN.source })
  @IsString()
  @Matches(SECRET_NAME_PATTERN, { message: 'name must start with a letter or digit and use only letters, digits, _ . - (at most 128)' })
  name: string;

  @ApiPropertyOptional({ description: 'The value; may be left out for auto-generatable types', writeOnly: true })
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @MaxBytes(MAX_VALUE_BYTES)
  value?: string;

  @ApiProperty({ enum: SECRET_TYPES })
  @IsIn(SECRET_TYPES as unknown as string[], { message: `secret_type must be one of ${SECRET_TYPES.join(', ')}` })
  secret_type: SecretType;

  @ApiPropertyOptional({ minimum: 1, maximum: 3650, description: 'Defaults to DEFAULT_ROTATION_INTERVAL_DAYS' })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(3650)
  rotation_interval_days?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { service: 'ai' } })
  @IsOmittable()
  @IsStringMap(50, 128)
  tags?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Vault store: envelope-encrypt before the value reaches Vault (the local store always encrypts)' })
  @IsOmittable()
  @IsBoolean()
  encrypt_locally?: boolean;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOmittable()
  @IsTimestamp()
  expires_at?: string;

  @ApiPropertyOptional({ maxLength: 1024 })
  @IsOmittable()
  @IsString()
  @MaxLength(1024)
  description?: string;

  @ApiPropertyOptional({ type: RotatorConfigDto })
  @IsOmittable()
  @ValidateNested()
  @Type(() => RotatorConfigDto)
  rotator?: RotatorConfigDto;
}
