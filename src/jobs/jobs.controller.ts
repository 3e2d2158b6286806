import { Controller, Get, Post, Query } from '@nestjs/common';
import { JobNameParam } from '../common/resource-id.js';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PageQuery } from '../common/page-query.js';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { Audited } from '../audit-log/audited.decorator.js';
import type { Actor } from '../auth/auth.types.js';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { JobRunDto, JobsOverviewDto } from './dto/job-run.dto.js';
import { JobsService } from './jobs.service.js';

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('api/v1/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Get()
  @Roles('admin', 'auditor')
  @Audited(AuditAction.JobsRead)
  @ApiOperation({ summary: 'Scheduled jobs, their schedules and recent runs (newest first)' })
  @ApiResponse({ status: 200, type: JobsOverviewDto })
  list(@Query() q: PageQuery): Promise<JobsOverviewDto> {
    return this.jobs.overview(q.limit ?? 50, q.cursor);
  }

  @Post(':name/run')
  @Audited(AuditAction.JobRunRequested, { transactional: false })
  @ApiOperation({ summary: 'Run a job now and return its recorded run' })
  @ApiResponse({ status: 201, type: JobRunDto })
  @ApiResponse({ status: 404, description: 'Unknown job' })
  run(@JobNameParam() name: string, @CurrentActor() actor: Actor): Promise<JobRunDto> {
    return this.jobs.runNow(name, actor);
  }
}
