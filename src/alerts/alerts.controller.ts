import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { Audited } from '../audit-log/audited.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { AlertsService } from './alerts.service.js';
import { AlertListDto } from './dto/alert.dto.js';
import { ListAlertsQuery } from './dto/list-alerts.query.js';

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('api/v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @Roles('admin', 'auditor')
  @Audited(AuditAction.AlertsRead)
  @ApiOperation({ summary: 'Recent security alerts (newest first) with the delivery status of each webhook' })
  @ApiResponse({ status: 200, type: AlertListDto })
  @ApiResponse({ status: 400, description: 'Invalid limit or cursor' })
  list(@Query() q: ListAlertsQuery): Promise<AlertListDto> {
    return this.alerts.list(q.limit ?? 50, q.cursor);
  }
}
