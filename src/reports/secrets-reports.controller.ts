import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { Audited } from '../audit-log/audited.decorator.js';
import type { Actor } from '../auth/auth.types.js';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { SecurityReportQuery } from './dto/report-requests.dto.js';
import { SecretStatsDto } from './dto/secret-stats.dto.js';
import { ReportDocumentDto } from './dto/report-summary.dto.js';
import { sendReport } from './report-response.js';
import { ReportsService } from './reports.service.js';
import { SecretStatsService } from './stats/secret-stats.service.js';

/** The spec's reporting routes under /api/v1/secrets: statistics and the security report. */
@ApiTags('reports')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or invalid token' })
@ApiResponse({ status: 403, description: 'Role not allowed' })
@Controller('api/v1/secrets')
export class SecretsReportsController {
  constructor(
    private readonly stats: SecretStatsService,
    private readonly reports: ReportsService,
  ) {}

  @Get('stats')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.SecretStatsRead)
  @ApiOperation({ summary: 'Counts by type, store and rotation status; expiry, rotations, reads and findings' })
  @ApiResponse({ status: 200, type: SecretStatsDto })
  secretStats(): Promise<SecretStatsDto> {
    return this.stats.stats();
  }

  @Get('audit/report')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.ReportRead)
  @ApiOperation({
    summary: "The security report: the latest stored; ?generate_new=true the current period's (generated and stored only if this hour has none yet)",
  })
  @ApiResponse({ status: 429, description: 'Every generation slot stayed busy; see Retry-After' })
  @ApiProduces('application/json', 'text/csv', 'application/pdf')
  @ApiResponse({ status: 200, type: ReportDocumentDto })
  async securityReport(
    @Query() query: SecurityReportQuery,
    @Headers('accept') accept: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return sendReport(reply, await this.reports.securityReport(query.generate_new ?? false, actor), query.format, accept);
  }
}
