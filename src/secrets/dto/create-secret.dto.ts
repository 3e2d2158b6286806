import { IsOmittable, IsTimestamp } from '../../common/input-limits.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { SECRET_TYPES, type SecretType } from '../../crypto/index.js';
import { DEFAULT_SSL_MODE, SSL_MODES, type SslMode } from '../ssl-modes.js';
import { IsStringMap, MaxBytes } from '../../common/validators.js';

export const SECRET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const MAX_VALUE_BYTES = 64 * 1024;

export const ROTATOR_KINDS = ['postgres_role', 'http', 'mysql_user', 'redis_acl', 'ssh_key', 'internal_ca', 'oauth_client_credentials', 'oauth_refresh_token'] as const;
export type RotatorKind = (typeof ROTATOR_KINDS)[number];
const isKind = (...kinds: RotatorKind[]) => (o: RotatorConfigDto) => (kinds as string[]).includes(o.kind);

/**
 * Where a rotator applies new values: the fields of `kind` (src/rotation/rotator-settings.ts
 * refuses the fields of another kind and checks the target).
 */
export class RotatorConfigDto {
  @ApiProperty({ enum: ROTATOR_KINDS })
  @IsIn(ROTATOR_KINDS as unknown as string[], { message: `kind must be one of ${ROTATOR_KINDS.join(', ')}` })
  kind: RotatorKind;

  @ApiPropertyOptional({ example: 'db.internal', description: 'postgres_role, mysql_user' })
  @ValidateIf(isKind('postgres_role', 'mysql_user', 'redis_acl'))
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  host: string;

  @ApiPropertyOptional({ example: 5432, description: 'postgres_role, mysql_user' })
  @ValidateIf(isKind('postgres_role', 'mysql_user', 'redis_acl'))
  @IsInt()
  @Min(1)
  @Max(65535)
  port: number;

  @ApiPropertyOptional({ example: 'app', description: 'postgres_role' })
  @ValidateIf(isKind('postgres_role'))
  @IsString()
  @MinLength(1)
  @MaxLength(63)
  database: string;

  @ApiPropertyOptional({ example: 'app_user', description: 'postgres_role: the role whose password this secret holds' })
  @ValidateIf(isKind('postgres_role'))
  @IsString()
  @Matches(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, { message: 'role must be a plain PostgreSQL identifier' })
  role: string;

  @ApiPropertyOptional({ example: 'app_user', description: 'mysql_user: the account whose password this secret holds' })
  @ValidateIf(isKind('mysql_user', 'redis_acl'))
  @IsString()
  @Matches(/^[A-Za-z0-9_$.-]{1,80}$/, { message: 'user must be 1-80 letters, digits, _ $ . -' })
  user: string;

  @ApiPropertyOptional({ example: '%', description: 'mysql_user: the account\'s host part (default %)' })
  @IsOmittable()
  @IsString()
  @Matches(/^[A-Za-z0-9_.%:-]{1,255}$/, { message: 'user_host must be a host name, address or pattern (letters, digits, _ . % : -)' })
  user_host?: string;

  @ApiPropertyOptional({ example: 'https://keys.internal/rotation', description: 'http: the endpoint of the four signed calls (https only)' })
  @ValidateIf(isKind('http'))
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  url: string;

  @ApiPropertyOptional({ example: 'https://idp.internal/oauth/token', description: 'oauth_client_credentials, oauth_refresh_token: the token endpoint (https only)' })
  @ValidateIf(isKind('oauth_client_credentials', 'oauth_refresh_token'))
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  token_url: string;

  @ApiPropertyOptional({ example: 'billing-service', description: 'oauth_client_credentials, oauth_refresh_token: the OAuth client id (its secret is admin_secret_id)' })
  @ValidateIf(isKind('oauth_client_credentials', 'oauth_refresh_token'))
  @IsString()
  @Matches(/^[\x21-\x7e]{1,255}$/, { message: 'client_id must be 1-255 visible ASCII characters' })
  client_id: string;

  @ApiPropertyOptional({ example: 'api:read api:write', description: 'oauth_*: the scopes asked for (space-separated); absent: the client\'s or the refresh token\'s own' })
  @IsOmittable()
  @IsString()
  @Matches(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, { message: 'scope must be space-separated scope tokens' })
  @MaxLength(1024)
  scope?: string;

  @ApiPropertyOptional({ example: 'https://idp.internal/oauth/introspect', description: 'oauth_*: RFC 7662 introspection endpoint (https) the new access token is verified at' })
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  introspection_url?: string;

  @ApiPropertyOptional({ example: 'https://keys.internal/ssh', description: 'ssh_key: publish the public key through signed http rotator calls (https only; needs admin_secret_id)' })
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  publish_url?: string;

  @ApiProperty({
    description:
      'Id of the secret holding the credential the rotator uses at its target: postgres_role a DATABASE_PASSWORD (user:password or a password for user postgres); mysql_user a DATABASE_PASSWORD (user:password or a password for root); http a WEBHOOK_SECRET (the HMAC signing key); oauth_* an API_KEY (the OAuth client secret)',
  })
  @ValidateIf((o: RotatorConfigDto) => o.kind !== 'ssh_key' || o.admin_secret_id !== undefined)
  @IsString()
  @Matches(/^sec_[A-Za-z0-9_-]{16}$/, { message: 'admin_secret_id must be a secret id' })
  admin_secret_id: string;

  @ApiPropertyOptional({ example: 90, description: 'internal_ca: lifetime of each issued certificate in days (default 90)' })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(3650)
  validity_days?: number;

  @ApiPropertyOptional({ example: 0.66, description: 'internal_ca, oauth_*: renew once this fraction of the certificate\'s or token\'s lifetime has passed (default 0.66)' })
  @IsOmittable()
  @IsNumber()
  @Min(0.05)
  @Max(0.95)
  renew_at_fraction?: number;

  @ApiPropertyOptional({ enum: SSL_MODES, default: DEFAULT_SSL_MODE, description: 'postgres_role, mysql_user: TLS to the target; password/MD5 authentication is refused without TLS' })
  @IsOmittable()
  @IsIn(SSL_MODES as unknown as string[], { message: `sslmode must be one of ${SSL_MODES.join(', ')}` })
  sslmode?: SslMode;

  @ApiPropertyOptional({ description: 'PEM of the CA that signs the target certificate (postgres_role with sslmode verify-full, http); absent: the system CAs' })
  @IsOmittable()
  @IsString()
  @MaxLength(16_384)
  ssl_ca?: string;
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

  @ApiPropertyOptional({ description: 'Vault store: envelope-encrypt before the value reaches Vault (default true; false stores the plain value in Vault; the local store always encrypts)' })
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
