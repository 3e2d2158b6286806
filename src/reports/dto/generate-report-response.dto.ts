import { ApiProperty } from '@nestjs/swagger';
import { ReportSummaryDto } from './report-summary.dto.js';

/** POST /api/v1/reports: 201 with the stored report, or 202 with the background task. */
export class GenerateReportResponseDto {
  @ApiProperty({ enum: ['completed', 'pending'] }) status: 'completed' | 'pending';
  @ApiProperty({ type: ReportSummaryDto, required: false }) report?: ReportSummaryDto;
  @ApiProperty({ required: false, description: 'true: this kind and period was already stored, and that report is returned' })
  deduplicated?: boolean;
  @ApiProperty({ required: false }) task_id?: string;
  @ApiProperty({ required: false, example: '/api/v1/secrets/task/task_abc/status' }) status_url?: string;
}
