import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { IsOmittable } from '../../common/input-limits.js';
import { SECRET_TYPES } from '../../crypto/index.js';
import { SECRET_ID_PATTERN } from '../../common/resource-id.js';
import { IsStringMap } from '../../common/validators.js';
import type { PolicyCapability } from '../entities/access-policy.entity.js';
import { CAPABILITIES } from '../policy-evaluation.js';

export const MAX_POLICIES = 1000;
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** An exact sub (no control characters), or `sub:`/`role:`/`group:`/`azp:` followed by a value. */
const SUBJECT = /^(?:(?:sub|role|group|azp):)?[^\u0000-\u001f\u007f]{1,256}$/;

/** Create and replace (PUT) body. Selectors combine with AND; an empty selector matches any secret. */
export class PolicyBodyDto {
  @ApiProperty({ example: 'billing-reads-own', description: 'Unique; lower-case letters, digits, . _ -, at most 64' })
  @IsString()
  @Matches(NAME, { message: 'name must be 1-64 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit' })
  name: string;

  @ApiPropertyOptional({ nullable: true, type: String, maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiProperty({
    type: [String],
    example: ['svc-billing', 'system:serviceaccount:billing:api', 'role:billing-reader', 'group:payments', 'azp:billing-client'],
    description: 'Who the policy applies to: an exact JWT sub, or role:<value> / group:<value> / azp:<value> (a value of the roles claim, the groups claim, azp); sub:<value> names a sub that itself starts with one of those prefixes',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(SUBJECT, { each: true, message: 'each subject must be a sub or role:/group:/azp:/sub: followed by 1-256 characters without control characters' })
  subjects: string[];

  @ApiPropertyOptional({ nullable: true, type: String, example: 'billing_', description: 'Secret names starting with this (case-sensitive); empty or null: any name' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(/^[^\u0000-\u001f\u007f]*$/, { message: 'name_prefix must not contain control characters' })
  name_prefix?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { service: 'billing' }, description: 'Every tag must be on the secret with this value; {}: any' })
  @IsOmittable()
  @IsStringMap(20, 128)
  tags?: Record<string, string>;

  @ApiPropertyOptional({ enum: SECRET_TYPES, isArray: true, description: '[]: any type' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(SECRET_TYPES.length)
  @ArrayUnique()
  @IsIn(SECRET_TYPES as unknown as string[], { each: true, message: `each secret type must be one of ${SECRET_TYPES.join(', ')}` })
  secret_types?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Explicit secret ids; []: any' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(1000)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(SECRET_ID_PATTERN, { each: true, message: 'each secret id must be a secret id (sec_…)' })
  secret_ids?: string[];

  @ApiProperty({ enum: CAPABILITIES, isArray: true, example: ['read_value', 'list'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(CAPABILITIES.length)
  @ArrayUnique()
  @IsIn(CAPABILITIES as unknown as string[], { each: true, message: `each capability must be one of ${CAPABILITIES.join(', ')}` })
  capabilities: PolicyCapability[];
}

/** The explain query: `sub` is the caller's sub; roles, groups and azp stand in for its other claims. */
export class ExplainQuery {
  @ApiProperty({ example: 'svc-billing' })
  @IsString()
  @Matches(/^[^\u0000-\u001f\u007f]{1,256}$/, { message: 'sub must be 1-256 characters without control characters' })
  sub: string;

  @ApiProperty({ example: 'sec_AAAAAAAAAAAAAAAA' })
  @IsString()
  @Matches(SECRET_ID_PATTERN, { message: 'secret_id must be a secret id (sec_…)' })
  secret_id: string;

  @ApiPropertyOptional({ description: 'Comma-separated values of the roles claim' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  roles?: string;

  @ApiPropertyOptional({ description: 'Comma-separated values of the groups claim' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  groups?: string;

  @ApiPropertyOptional({ description: 'The azp claim' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  azp?: string;
}

export class PolicyResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ type: [String], description: 'Normalized: sub:, role:, group: or azp: followed by the value' }) subjects: string[];
  @ApiProperty({ nullable: true, type: String }) name_prefix: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) tags: Record<string, string>;
  @ApiProperty({ type: [String] }) secret_types: string[];
  @ApiProperty({ type: [String] }) secret_ids: string[];
  @ApiProperty({ enum: CAPABILITIES, isArray: true }) capabilities: PolicyCapability[];
  @ApiProperty() created_at: string;
  @ApiProperty() created_by: string;
  @ApiProperty() updated_at: string;
  @ApiProperty() updated_by: string;
}

export class PolicyListResponseDto {
  @ApiProperty({ type: [PolicyResponseDto] }) items: PolicyResponseDto[];
}

class CapabilityVerdictDto {
  @ApiProperty() granted: boolean;
  @ApiProperty({ type: [String] }) granted_by: string[];
  @ApiProperty() reason: string;
}

class CapabilitiesDto {
  @ApiProperty({ type: CapabilityVerdictDto }) read_value: CapabilityVerdictDto;
  @ApiProperty({ type: CapabilityVerdictDto }) list: CapabilityVerdictDto;
}

class PolicyVerdictDto {
  @ApiProperty() policy: string;
  @ApiProperty() policy_id: string;
  @ApiProperty({ type: [String] }) matched_subjects: string[];
  @ApiProperty({ type: [String] }) selector_mismatches: string[];
  @ApiProperty({ enum: CAPABILITIES, isArray: true }) capabilities: PolicyCapability[];
  @ApiProperty({ enum: CAPABILITIES, isArray: true }) grants: PolicyCapability[];
}

export class ExplainResponseDto {
  @ApiProperty() sub: string;
  @ApiProperty({ type: [String], description: 'What the policies were matched against' }) principals: string[];
  @ApiProperty() secret_id: string;
  @ApiProperty() secret_name: string;
  @ApiProperty({ type: CapabilitiesDto }) capabilities: CapabilitiesDto;
  @ApiProperty({ type: [PolicyVerdictDto] }) policies: PolicyVerdictDto[];
}

