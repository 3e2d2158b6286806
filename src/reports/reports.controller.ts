import { Body, Controller, ForbiddenException, Get, Headers, Post, Query, Res } from '@nestjs/common';
import { ReportIdParam } from '../common/resource-id.js';
import { ApiBearerAuth, ApiExtraModels, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { Audited } from '../audit-log/audited.decorator.js';
import type { Actor } from '../auth/auth.types.js';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { AccessReviewSignoffs } from './access-review-signoffs.service.js';
import { AccessReviewSignoffDto, AccessReviewSignoffListDto, SignOffAccessReviewDto } from './dto/access-review-signoff.dto.js';
import { GenerateReportResponseDto } from './dto/generate-report-response.dto.js';
import { ComplianceQuery, FormatQuery, GenerateReportDto, ListReportsQuery } from './dto/report-requests.dto.js';
import { ReportDocumentDto, ReportListDto } from './dto/report-summary.dto.js';
import { sendReport } from './report-response.js';
import { ReportsService } from './reports.service.js';

const PRODUCES = ['application/json', 'text/csv', 'application/pdf', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/zip'];

/** /api/v1/reports: thin — query in, one service call, a rendered document or DTO out. */
@ApiTags('reports')
@ApiBearerAuth()
@ApiExtraModels(ReportDocumentDto)
@ApiResponse({ status: 401, description: 'No or invalid token' })
@ApiResponse({ status: 403, description: 'Role not allowed' })
@Controller('api/v1/reports')
export class ReportsController {
  constructor(
    private readonly reports: ReportsService,
    private readonly signoffs: AccessReviewSignoffs,
  ) {}

  @Get()
  @Roles('admin', 'auditor')
  @Audited(AuditAction.ReportsListed)
  @ApiOperation({ summary: 'Stored reports (kind, period, generated_at, sha256), newest first, keyset-paginated' })
  @ApiResponse({ status: 200, type: ReportListDto })
  list(@Query() query: ListReportsQuery): Promise<ReportListDto> {
    return this.reports.list(query);
  }

  @Get('compliance')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.ReportRead)
  @ApiOperation({ summary: 'The current (month-to-date) compliance summary for a standard; stored once per standard and hour, then served from storage (GET /reports/{id} finds it)' })
  @ApiProduces(...PRODUCES)
  @ApiResponse({ status: 200, type: ReportDocumentDto, description: 'JSON, or CSV / PDF with ?format= or Accept' })
  async compliance(
    @Query() query: ComplianceQuery,
    @Headers('accept') accept: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return sendReport(reply, await this.reports.currentCompliance(query.standard, actor), query.format, accept);
  }

  @Get(':id')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.ReportDownloaded)
  @ApiOperation({ summary: 'Download a stored report as JSON (canonical), CSV (one table per section) or PDF' })
  @ApiProduces(...PRODUCES)
  @ApiResponse({ status: 200, type: ReportDocumentDto, description: 'Content-Disposition names the file by kind, standard and period, e.g. strongroom-soc2-2026-11.pdf' })
  @ApiResponse({ status: 404, description: 'Unknown report' })
  async download(
    @ReportIdParam() id: string,
    @Query() query: FormatQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return sendReport(reply, await this.reports.get(id), query.format, accept);
  }

  @Post(':id/signoffs')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.AccessReviewSignedOff)
  @ApiOperation({
    summary: 'Record a review of a stored access review: remarks and a keep/revoke decision per grant',
    description: 'Stored and audited; the next compliance summaries cite the latest review as evidence (SOC 2 CC6.3, PCI DSS 7.2.4). 409 for a report that is not an access review.',
  })
  @ApiResponse({ status: 201, type: AccessReviewSignoffDto })
  @ApiResponse({ status: 404, description: 'Unknown report' })
  @ApiResponse({ status: 409, description: 'The report is not an access review' })
  signOff(@ReportIdParam() id: string, @Body() dto: SignOffAccessReviewDto, @CurrentActor() actor: Actor): Promise<AccessReviewSignoffDto> {
    return this.signoffs.signOff(id, dto, actor);
  }

  @Get(':id/signoffs')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.ReportRead)
  @ApiOperation({ summary: 'The reviews recorded on a stored access review, newest first' })
  @ApiResponse({ status: 200, type: AccessReviewSignoffListDto })
  async listSignoffs(@ReportIdParam() id: string): Promise<AccessReviewSignoffListDto> {
    return { items: await this.signoffs.list(id) };
  }

  @Post()
  @Roles('admin', 'auditor')
  // Not one transaction: generation reads outside any (see ReportsService.generate), and the
  // stored report commits with its own report.generated row; this row records the request.
  @Audited(AuditAction.ReportGenerated, { transactional: false })
  @ApiOperation({
    summary: 'Generate and store a report of a kind and period, or return the one already stored for it',
    description:
      'Answers 201 with the stored report (deduplicated=true when that kind and period was stored before), or 202 with a task id when it runs in the background (background=true, or a large inventory). Auditors may ask for the scheduled period of any kind; custom periods (from/to) and background=true are for admins.',
  })
  @ApiResponse({ status: 201, type: GenerateReportResponseDto })
  @ApiResponse({ status: 202, type: GenerateReportResponseDto })
  @ApiResponse({ status: 429, description: 'Every generation slot stayed busy; see Retry-After' })
  async generate(@Body() dto: GenerateReportDto, @CurrentActor() actor: Actor): Promise<GenerateReportResponseDto | Response> {
    if (!actor.roles.includes('admin') && (dto.from !== undefined || dto.to !== undefined || dto.background !== undefined)) {
      throw new ForbiddenException('auditors may request the scheduled period of a report kind; from, to and background are for admins');
    }
    const result = await this.reports.request(dto, actor);
    // A web Response is how a route picks its own status in Nest (202 for a queued task).
    return result.status === 'pending' ? Response.json(result, { status: 202 }) : result;
  }
}
