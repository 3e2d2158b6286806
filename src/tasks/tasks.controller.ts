import { Controller, Get, Query } from '@nestjs/common';
import { TaskIdParam } from '../common/resource-id.js';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { Audited } from '../audit-log/audited.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { TaskListQuery, TaskListResponseDto } from './dto/task-list.dto.js';
import { TaskStatusDto } from './dto/task-status.dto.js';
import { TasksService } from './tasks.service.js';

@ApiTags('tasks')
@ApiBearerAuth()
@Controller('api/v1')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Get('secrets/task/:id/status')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.TaskStatusRead)
  @ApiOperation({ summary: 'Status and progress of a background task (bulk rotation, integrity check, re-wrap …)' })
  @ApiResponse({ status: 200, type: TaskStatusDto })
  @ApiResponse({ status: 404, description: 'Unknown task' })
  status(@TaskIdParam() id: string): Promise<TaskStatusDto> {
    return this.tasks.status(id);
  }

  @Get('tasks')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.TasksListed)
  @ApiOperation({ summary: 'List background tasks, newest first (filters: status, kind); per-item failures are at each status_url' })
  @ApiResponse({ status: 200, type: TaskListResponseDto })
  @ApiResponse({ status: 400, description: 'Invalid filter, limit or cursor' })
  list(@Query() query: TaskListQuery): Promise<TaskListResponseDto> {
    return this.tasks.list(query);
  }
}
