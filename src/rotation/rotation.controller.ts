import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { SecretIdParam } from '../common/resource-id.js';
import { ApiBearerAuth, ApiExtraModels, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { Audited } from '../audit-log/audited.decorator.js';
import type { Actor } from '../auth/auth.types.js';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { TaskAcceptedDto } from '../tasks/dto/task-status.dto.js';
import { BulkRotateDto } from './dto/bulk-rotate.dto.js';
import { RotateQuery, RotateSecretDto } from './dto/rotate.dto.js';
import { DryRunResponseDto, RotationResponseDto } from './dto/rotation-response.dto.js';
import { BulkRotationService } from './bulk-rotation.service.js';
import { RotationService } from './rotation.service.js';

@ApiTags('rotation')
@ApiBearerAuth()
@ApiExtraModels(RotationResponseDto, DryRunResponseDto)
@Controller('api/v1/secrets')
export class RotationController {
  constructor(
    private readonly rotation: RotationService,
    private readonly bulk: BulkRotationService,
  ) {}

  @Post('rotate-bulk')
  @HttpCode(202)
  @Audited(AuditAction.SecretsBulkRotationStarted)
  @ApiOperation({ summary: 'Rotate many secrets in the background (by secret_type, ids or tag)' })
  @ApiResponse({ status: 202, type: TaskAcceptedDto })
  rotateBulk(@Body() dto: BulkRotateDto, @CurrentActor() actor: Actor): Promise<TaskAcceptedDto> {
    return this.bulk.start(dto, actor);
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @Audited(AuditAction.SecretRotationRequested, { secretParam: 'id', transactional: false })
  @ApiOperation({
    summary: 'Rotate now (generated value, or the value in the body); ?dry_run=true only checks',
    description: 'The rotation itself is audited as secret.rotated or secret.rotation_failed when it ends.',
  })
  @ApiResponse({ status: 200, schema: { oneOf: [{ $ref: getSchemaPath(RotationResponseDto) }, { $ref: getSchemaPath(DryRunResponseDto) }] } })
  @ApiResponse({ status: 400, description: 'This type needs a value or a rotator' })
  @ApiResponse({ status: 202, type: RotationResponseDto, description: 'The first attempt failed for a reason that may pass (e.g. Vault sealed): the rotation is in_progress and retried in the background; follow GET …/rotations' })
  @ApiResponse({ status: 409, description: 'A rotation of this secret is already running' })
  @ApiResponse({ status: 502, description: 'The rotation failed for good; the previous value is still current' })
  async rotate(
    @SecretIdParam() id: string,
    @Query() query: RotateQuery,
    @Body() dto: RotateSecretDto,
    @CurrentActor() actor: Actor,
  ): Promise<RotationResponseDto | DryRunResponseDto | Response> {
    if (query.dry_run) return this.rotation.dryRun(id, actor);
    const rotation = await this.rotation.rotate(id, dto ?? {}, actor, 'manual', {}, { retryInBackground: true });
    if (rotation.status === 'failed') throw this.rotation.failureError(rotation);
    const body = RotationResponseDto.from(rotation);
    if (rotation.status === 'completed') return body;
    // Still retrying in the background: 202 (a web Response sets the status; @HttpCode cannot vary).
    return new Response(JSON.stringify(body), { status: 202, headers: { 'content-type': 'application/json; charset=utf-8' } });
  }

  @Get(':id/rotations')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.SecretRotationsRead, { secretParam: 'id' })
  @ApiOperation({ summary: 'Rotation history of a secret (newest first)' })
  @ApiResponse({ status: 200, type: [RotationResponseDto] })
  history(@SecretIdParam() id: string): Promise<RotationResponseDto[]> {
    return this.rotation.history(id);
  }
}
