import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { Audited } from '../audit-log/audited.decorator.js';
import type { Actor } from '../auth/auth.types.js';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { PolicyIdParam } from '../common/resource-id.js';
import { ExplainQuery, ExplainResponseDto, PolicyBodyDto, PolicyListResponseDto, PolicyResponseDto } from './dto/policy.dto.js';
import { PoliciesService } from './policies.service.js';

/** /api/v1/policies: access policies for `reader` callers. Admin only, except explain. */
@ApiTags('policies')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or invalid token' })
@ApiResponse({ status: 403, description: 'Role not allowed' })
@Controller('api/v1/policies')
export class PoliciesController {
  constructor(private readonly policies: PoliciesService) {}

  @Post()
  @Audited(AuditAction.PolicyCreated)
  @ApiOperation({ summary: 'Create an access policy' })
  @ApiResponse({ status: 201, type: PolicyResponseDto })
  @ApiResponse({ status: 409, description: 'A policy with that name exists' })
  create(@Body() dto: PolicyBodyDto, @CurrentActor() actor: Actor): Promise<PolicyResponseDto> {
    return this.policies.create(dto, actor);
  }

  @Get()
  @Audited(AuditAction.PoliciesListed)
  @ApiOperation({ summary: 'List access policies' })
  @ApiResponse({ status: 200, type: PolicyListResponseDto })
  list(): Promise<PolicyListResponseDto> {
    return this.policies.list();
  }

  @Get('explain')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.PolicyExplained)
  @ApiOperation({ summary: 'Which policy grants a subject each capability on a secret, or why none does' })
  @ApiResponse({ status: 200, type: ExplainResponseDto })
  @ApiResponse({ status: 404, description: 'Unknown or deleted secret' })
  explain(@Query() query: ExplainQuery): Promise<ExplainResponseDto> {
    return this.policies.explain(query);
  }

  @Get(':id')
  @Audited(AuditAction.PolicyRead)
  @ApiOperation({ summary: 'One access policy' })
  @ApiResponse({ status: 200, type: PolicyResponseDto })
  @ApiResponse({ status: 404, description: 'Unknown policy' })
  get(@PolicyIdParam() id: string): Promise<PolicyResponseDto> {
    return this.policies.get(id);
  }

  @Put(':id')
  @Audited(AuditAction.PolicyUpdated)
  @ApiOperation({ summary: 'Replace an access policy (the whole body, as on create)' })
  @ApiResponse({ status: 200, type: PolicyResponseDto })
  @ApiResponse({ status: 409, description: 'Another policy has that name' })
  replace(@PolicyIdParam() id: string, @Body() dto: PolicyBodyDto, @CurrentActor() actor: Actor): Promise<PolicyResponseDto> {
    return this.policies.replace(id, dto, actor);
  }

  @Delete(':id')
  @HttpCode(204)
  @Audited(AuditAction.PolicyDeleted)
  @ApiOperation({ summary: 'Delete an access policy (in force on every replica within about a second)' })
  @ApiResponse({ status: 204 })
  async remove(@PolicyIdParam() id: string): Promise<void> {
    await this.policies.remove(id);
  }
}
