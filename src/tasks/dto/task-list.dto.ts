import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { PageQuery } from '../../common/page-query.js';
import type { TaskStatus } from '../entities/task.entity.js';
import { TaskProgressDto } from './task-status.dto.js';

export const TASK_STATUSES: TaskStatus[] = ['pending', 'running', 'completed', 'failed'];
/** A task kind as handlers name them (`rotate_bulk`, `incident_response` …): the column is 32 characters. */
const TASK_KIND = /^[a-z][a-z0-9_]{0,31}$/;

export class TaskListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: TASK_STATUSES })
  @IsOptional()
  @IsIn(TASK_STATUSES)
  status?: TaskStatus;

  @ApiPropertyOptional({ example: 'incident_response', description: 'Only tasks of this kind (lower-case letters, digits, _; at most 32)' })
  @IsOptional()
  @IsString()
  @Matches(TASK_KIND, { message: 'kind must be 1-32 lower-case letters, digits or _, starting with a letter' })
  kind?: string;
}

/** One task in the list: its progress and counts, not its per-item failures (see status_url). */
export class TaskSummaryDto {
  @ApiProperty() task_id: string;
  @ApiProperty() kind: string;
  @ApiProperty({ enum: TASK_STATUSES }) status: string;
  @ApiProperty({ type: TaskProgressDto, description: 'failed: items that failed for good' }) progress: TaskProgressDto;
  @ApiProperty({ example: '/api/v1/secrets/task/task_abc/status' }) status_url: string;
  @ApiProperty() created_by: string;
  @ApiProperty() created_at: string;
  @ApiProperty({ nullable: true, type: String }) started_at: string | null;
  @ApiProperty({ nullable: true, type: String }) finished_at: string | null;
}

export class TaskListResponseDto {
  @ApiProperty({ type: [TaskSummaryDto] }) items: TaskSummaryDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}
