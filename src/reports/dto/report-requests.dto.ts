import { IsOmittable, IsTimestamp } from '../../common/input-limits.js';
import { PageQuery } from '../../common/page-query.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { REPORT_FORMATS, type ReportFormat } from '../render/index.js';
import { COMPLIANCE_STANDARDS, type ComplianceStandard, REPORT_KINDS, type ReportKind } from '../reports.types.js';

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class FormatQuery {
  @ApiPropertyOptional({ enum: REPORT_FORMATS, description: 'Overrides the Accept header; default json' })
  @IsOptional()
  @IsIn(REPORT_FORMATS as unknown as string[])
  format?: ReportFormat;
}

export class SecurityReportQuery extends FormatQuery {
  @ApiPropertyOptional({ description: "true: the current period's report (the 24 h to now, one per hour: stored or generated now); false (default): the latest stored one" })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  generate_new?: boolean;
}

export class ComplianceQuery extends FormatQuery {
  @ApiProperty({ enum: COMPLIANCE_STANDARDS })
  @IsIn(COMPLIANCE_STANDARDS as unknown as string[])
  standard: ComplianceStandard;
}

export class ListReportsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: REPORT_KINDS })
  @IsOptional()
  @IsIn(REPORT_KINDS as unknown as string[])
  kind?: ReportKind;

  @ApiPropertyOptional({ enum: COMPLIANCE_STANDARDS })
  @IsOptional()
  @IsIn(COMPLIANCE_STANDARDS as unknown as string[])
  standard?: ComplianceStandard;


}

export class GenerateReportDto {
  @ApiProperty({ enum: REPORT_KINDS })
  @IsIn(REPORT_KINDS as unknown as string[])
  kind: ReportKind;

  @ApiPropertyOptional({ enum: COMPLIANCE_STANDARDS, description: 'Required for kind=compliance' })
  @IsOmittable()
  @IsIn(COMPLIANCE_STANDARDS as unknown as string[])
  standard?: ComplianceStandard;

  @ApiPropertyOptional({
    example: '2026-11-01',
    description: "Start (ISO date or timestamp). Without from/to: the kind's scheduled period (24 h, previous month, quarter or year)",
  })
  @IsOmittable()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ example: '2026-11-30', description: 'End: a date includes that whole day, a timestamp is exclusive; cut at now' })
  @IsOmittable()
  @IsTimestamp()
  to?: string;

  @ApiPropertyOptional({ description: 'Generate as a background task (always done for large inventories)' })
  @IsOmittable()
  @IsBoolean()
  background?: boolean;
}
