import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import { SecretIdParam } from '../common/resource-id.js';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { PG_INT_MAX } from '../common/input-limits.js';
import { Transform } from 'class-transformer';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { Audited } from '../audit-log/audited.decorator.js';
import type { Actor } from '../auth/auth.types.js';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { CurrentPolicyScope, PolicyGate, type PolicyScope } from '../policies/policy-gate.js';
import { BulkCreateResultDto, BulkCreateSecretsDto } from './dto/bulk-create.dto.js';
import { CreateSecretDto } from './dto/create-secret.dto.js';
import { ListSecretsQuery } from './dto/list-secrets.query.js';
import { PutValueDto } from './dto/put-value.dto.js';
import {
  SecretConsumersResponseDto,
  SecretListResponseDto,
  SecretResponseDto,
  SecretTypeResponseDto,
  SecretValueResponseDto,
  SecretVersionResponseDto,
} from './dto/secret-response.dto.js';
import { UpdateSecretDto } from './dto/update-secret.dto.js';
import { SecretsService } from './secrets.service.js';

class ValueQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PG_INT_MAX)
  version?: number;
}

class DeleteQuery {
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  purge?: boolean;
}

/** /api/v1/secrets: thin — DTO in, one service call, response DTO out. */
@ApiTags('secrets')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or invalid token' })
@ApiResponse({ status: 403, description: 'Role not allowed' })
@Controller('api/v1/secrets')
export class SecretsController {
  constructor(private readonly secrets: SecretsService) {}

  @Post()
  @Audited(AuditAction.SecretCreated)
  @ApiOperation({ summary: 'Create a secret (value generated when left out for auto-generatable types)' })
  @ApiResponse({ status: 201, type: SecretResponseDto })
  create(@Body() dto: CreateSecretDto, @CurrentActor() actor: Actor): Promise<SecretResponseDto> {
    return this.secrets.create(dto, actor);
  }

  @Get()
  @Roles('admin', 'auditor', 'reader')
  @PolicyGate('list')
  @Audited(AuditAction.SecretListed)
  @ApiOperation({ summary: 'List secrets (metadata), keyset-paginated; a reader sees only what its access policies let it list' })
  @ApiResponse({ status: 200, type: SecretListResponseDto })
  list(@Query() query: ListSecretsQuery, @CurrentPolicyScope() scope: PolicyScope | undefined): Promise<SecretListResponseDto> {
    return this.secrets.list(query, scope);
  }

  @Get('types')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.SecretTypesRead)
  @ApiOperation({ summary: 'The secret types and how their values are generated' })
  @ApiResponse({ status: 200, type: [SecretTypeResponseDto] })
  types(): SecretTypeResponseDto[] {
    return this.secrets.types();
  }

  @Post('bulk')
  @Audited(AuditAction.SecretsBulkCreated)
  @ApiOperation({ summary: 'Create up to 1000 secrets; per-item results' })
  @ApiResponse({ status: 201, type: BulkCreateResultDto })
  bulkCreate(@Body() dto: BulkCreateSecretsDto, @CurrentActor() actor: Actor): Promise<BulkCreateResultDto> {
    return this.secrets.bulkCreate(dto.secrets, actor);
  }

  @Get(':id')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.SecretRead, { secretParam: 'id' })
  @ApiOperation({ summary: 'Secret details (metadata, never the value)' })
  @ApiResponse({ status: 200, type: SecretResponseDto })
  @ApiResponse({ status: 404, description: 'Unknown or deleted secret' })
  get(@SecretIdParam() id: string): Promise<SecretResponseDto> {
    return this.secrets.get(id);
  }

  @Get(':id/value')
  @Roles('admin', 'reader')
  @PolicyGate('read_value', { secretParam: 'id' })
  @Audited(AuditAction.SecretValueRead, { secretParam: 'id' })
  @ApiOperation({ summary: 'The current value, or ?version=N (admin, or a reader an access policy grants read_value; every call audited)' })
  @ApiQuery({ name: 'version', required: false, type: Number })
  @ApiResponse({ status: 200, type: SecretValueResponseDto })
  @ApiResponse({ status: 410, description: 'That version was destroyed' })
  value(
    @SecretIdParam() id: string,
    @Query() query: ValueQuery,
    @CurrentActor() actor: Actor,
    @CurrentPolicyScope() scope: PolicyScope | undefined,
  ): Promise<SecretValueResponseDto> {
    return this.secrets.readValue(id, actor.sub, query.version, scope?.policies[0]?.name);
  }

  @Get(':id/consumers')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.SecretConsumersRead, { secretParam: 'id' })
  @ApiOperation({ summary: 'Who reads the value (token sub), the version each last read, first and last read, read count' })
  @ApiResponse({ status: 200, type: SecretConsumersResponseDto })
  consumers(@SecretIdParam() id: string): Promise<SecretConsumersResponseDto> {
    return this.secrets.listConsumers(id);
  }

  @Get(':id/versions')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.SecretVersionsRead, { secretParam: 'id' })
  @ApiOperation({ summary: 'Version history (no values)' })
  @ApiResponse({ status: 200, type: [SecretVersionResponseDto] })
  versions(@SecretIdParam() id: string): Promise<SecretVersionResponseDto[]> {
    return this.secrets.listVersions(id);
  }

  @Patch(':id')
  @Audited(AuditAction.SecretUpdated, { secretParam: 'id' })
  @ApiOperation({ summary: 'Change tags, description, rotation interval, expiry or rotator' })
  @ApiResponse({ status: 200, type: SecretResponseDto })
  update(@SecretIdParam() id: string, @Body() dto: UpdateSecretDto): Promise<SecretResponseDto> {
    return this.secrets.update(id, dto);
  }

  @Put(':id/value')
  @Audited(AuditAction.SecretValueUpdated, { secretParam: 'id' })
  @ApiOperation({ summary: 'Store a new value as a new version (expected_version: check-and-set, 409 on mismatch)' })
  @ApiResponse({ status: 200, type: SecretResponseDto })
  @ApiResponse({ status: 409, description: 'expected_version is not the current version' })
  putValue(@SecretIdParam() id: string, @Body() dto: PutValueDto, @CurrentActor() actor: Actor): Promise<SecretResponseDto> {
    return this.secrets.putValue(id, dto, actor);
  }

  @Post(':id/restore')
  @HttpCode(200)
  @Audited(AuditAction.SecretRestored, { secretParam: 'id' })
  @ApiOperation({ summary: 'Restore a soft-deleted secret within its retention' })
  @ApiResponse({ status: 200, type: SecretResponseDto })
  restore(@SecretIdParam() id: string): Promise<SecretResponseDto> {
    return this.secrets.restore(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @Audited(AuditAction.SecretDeleted, { secretParam: 'id' })
  @ApiOperation({ summary: 'Soft delete (restorable for SECRET_DELETE_RETENTION_DAYS); ?purge=true destroys at once' })
  @ApiQuery({ name: 'purge', required: false, type: Boolean })
  @ApiResponse({ status: 204 })
  async remove(@SecretIdParam() id: string, @Query() query: DeleteQuery, @CurrentActor() actor: Actor): Promise<void> {
    if (query.purge) await this.secrets.purge(id);
    else await this.secrets.softDelete(id, actor);
  }
}
