import { ApiProperty } from '@nestjs/swagger';
import type { JobRunEntity } from '../entities/job-run.entity.js';

export class JobRunDto {
  @ApiProperty() id: string;
  @ApiProperty() job: string;
  @ApiProperty() slot: string;
  @ApiProperty({ enum: ['schedule', 'manual'] }) trigger: string;
  @ApiProperty() triggered_by: string;
  @ApiProperty({ enum: ['running', 'succeeded', 'failed', 'skipped'] }) status: string;
  @ApiProperty() started_at: string;
  @ApiProperty({ nullable: true, type: String }) finished_at: string | null;
  @ApiProperty({ type: Object }) counts: Record<string, number | string>;
  @ApiProperty({ nullable: true, type: String }) error: string | null;

  static from(r: JobRunEntity): JobRunDto {
    return Object.assign(new JobRunDto(), {
      id: String(r.id),
      job: r.jobName,
      slot: r.slot.toISOString(),
      trigger: r.trigger,
      triggered_by: r.triggeredBy,
      status: r.status,
      started_at: r.startedAt.toISOString(),
      finished_at: r.finishedAt?.toISOString() ?? null,
      counts: r.counts,
      error: r.error,
    });
  }
}

export class JobDto {
  @ApiProperty() name: string;
  @ApiProperty({ description: 'cron expression (with seconds)' }) schedule: string;
  @ApiProperty({ nullable: true, type: String }) last_success_at: string | null;
}

export class JobsOverviewDto {
  @ApiProperty({ type: [JobDto] }) jobs: JobDto[];
  @ApiProperty({ type: [JobRunDto] }) runs: JobRunDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}
