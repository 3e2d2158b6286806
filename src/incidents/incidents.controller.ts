import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { Audited } from '../audit-log/audited.decorator.js';
import type { Actor } from '../auth/auth.types.js';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { IncidentIdParam } from '../common/resource-id.js';
import { IncidentListQuery, IncidentListResponseDto, IncidentResponseDto, LiftLockoutDto, OpenIncidentDto } from './dto/incident.dto.js';
import { IncidentsService } from './incidents.service.js';

/** /api/v1/incidents: compromise response. Admins open and lift; admins and auditors read. */
@ApiTags('incidents')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or invalid token' })
@ApiResponse({ status: 403, description: 'Role not allowed, or the caller is locked out' })
@Controller('api/v1/incidents')
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @Post()
  @HttpCode(202)
  @Audited(AuditAction.IncidentOpened)
  @ApiOperation({
    summary: 'Open an incident: lock the subject out, rotate every generatable secret it read in the window, flag the rest',
    description: 'The lockout is in force on every replica within about a second; the rotations run as one background task (task_id, status_url).',
  })
  @ApiResponse({ status: 202, type: IncidentResponseDto })
  @ApiResponse({ status: 400, description: 'Invalid subject, window or reason' })
  open(@Body() dto: OpenIncidentDto, @CurrentActor() actor: Actor): Promise<IncidentResponseDto> {
    return this.incidents.open(dto, actor);
  }

  @Get()
  @Roles('admin', 'auditor')
  @Audited(AuditAction.IncidentsListed)
  @ApiOperation({ summary: 'List incidents, newest first' })
  @ApiResponse({ status: 200, type: IncidentListResponseDto })
  list(@Query() query: IncidentListQuery): Promise<IncidentListResponseDto> {
    return this.incidents.list(query);
  }

  @Get(':id')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.IncidentRead)
  @ApiOperation({ summary: 'One incident: progress, lockout and the outcome per secret (never a value)' })
  @ApiResponse({ status: 200, type: IncidentResponseDto })
  @ApiResponse({ status: 404, description: 'Unknown incident' })
  get(@IncidentIdParam() id: string): Promise<IncidentResponseDto> {
    return this.incidents.get(id);
  }

  @Post(':id/lift')
  @HttpCode(200)
  @Audited(AuditAction.IncidentLockoutLifted)
  @ApiOperation({ summary: "Lift the incident's lockout: the subject's tokens are accepted again on every replica within about a second" })
  @ApiResponse({ status: 200, type: IncidentResponseDto })
  @ApiResponse({ status: 404, description: 'Unknown incident' })
  @ApiResponse({ status: 409, description: 'Already lifted' })
  lift(@IncidentIdParam() id: string, @Body() dto: LiftLockoutDto, @CurrentActor() actor: Actor): Promise<IncidentResponseDto> {
    return this.incidents.lift(id, dto, actor);
  }
}
