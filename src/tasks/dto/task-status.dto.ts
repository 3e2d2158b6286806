import { ApiProperty } from '@nestjs/swagger';

export class TaskProgressDto {
  @ApiProperty() done: number;
  @ApiProperty() failed: number;
  @ApiProperty() total: number;
}

export class TaskFailureDto {
  @ApiProperty() target: string;
  @ApiProperty() error: string;
  @ApiProperty() attempts: number;
}

export class TaskStatusDto {
  @ApiProperty() task_id: string;
  @ApiProperty() kind: string;
  @ApiProperty({ enum: ['pending', 'running', 'completed', 'failed'] }) status: string;
  @ApiProperty({ type: TaskProgressDto }) progress: TaskProgressDto;
  @ApiProperty({ type: [TaskFailureDto], description: 'Items that failed for good (first 1000)' }) failures: TaskFailureDto[];
  @ApiProperty({ type: Object, nullable: true }) result: Record<string, unknown> | null;
  @ApiProperty() created_by: string;
  @ApiProperty() created_at: string;
  @ApiProperty({ nullable: true, type: String }) started_at: string | null;
  @ApiProperty({ nullable: true, type: String }) finished_at: string | null;
}

export class TaskAcceptedDto {
  @ApiProperty() task_id: string;
  @ApiProperty({ example: '/api/v1/secrets/task/task_abc/status' }) status_url: string;
  @ApiProperty() status: string;
  @ApiProperty() total: number;
}
