import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsString, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { IsOmittable } from '../../common/input-limits.js';
import type { AccessReviewSignoffEntity, GrantDecision } from '../entities/access-review-signoff.entity.js';

export const MAX_DECISIONS = 1000;

export class GrantDecisionDto {
  @ApiProperty({ example: 'billing-reads-own', description: 'The grant as the access review lists it (a policy name or id)' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  grant: string;

  @ApiProperty({ enum: ['keep', 'revoke'] })
  @IsIn(['keep', 'revoke'])
  decision: 'keep' | 'revoke';

  @ApiPropertyOptional({ example: 'owner confirmed on 2 Dec', maxLength: 500 })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  remark?: string;
}

export class SignOffAccessReviewDto {
  @ApiPropertyOptional({ example: 'Quarterly review with the platform team; two grants to revoke.', maxLength: 2000 })
  @IsOmittable()
  @IsString()
  @MaxLength(2000)
  remarks?: string;

  @ApiProperty({ type: [GrantDecisionDto], maxItems: MAX_DECISIONS, description: 'A keep or revoke decision per grant reviewed' })
  @IsArray()
  @ArrayMaxSize(MAX_DECISIONS)
  @ValidateNested({ each: true })
  @Type(() => GrantDecisionDto)
  decisions: GrantDecisionDto[];
}

export class GrantDecisionResponseDto {
  @ApiProperty() grant: string;
  @ApiProperty({ enum: ['keep', 'revoke'] }) decision: 'keep' | 'revoke';
  @ApiProperty({ nullable: true, type: String }) remark: string | null;
}

export class AccessReviewSignoffDto {
  @ApiProperty({ example: 'ars_3q8X0vJm2kL9pQ1r' }) id: string;
  @ApiProperty({ example: 'rpt_…' }) report_id: string;
  @ApiProperty() reviewed_by: string;
  @ApiProperty() reviewed_at: string;
  @ApiProperty({ nullable: true, type: String }) remarks: string | null;
  @ApiProperty({ type: [GrantDecisionResponseDto] }) decisions: GrantDecision[];
  @ApiProperty({ description: 'Grants kept' }) keep: number;
  @ApiProperty({ description: 'Grants to revoke' }) revoke: number;

  static from(e: AccessReviewSignoffEntity): AccessReviewSignoffDto {
    return {
      id: e.id,
      report_id: e.reportId,
      reviewed_by: e.reviewedBy,
      reviewed_at: e.reviewedAt.toISOString(),
      remarks: e.remarks,
      decisions: e.decisions,
      keep: e.decisions.filter((d) => d.decision === 'keep').length,
      revoke: e.decisions.filter((d) => d.decision === 'revoke').length,
    };
  }
}

export class AccessReviewSignoffListDto {
  @ApiProperty({ type: [AccessReviewSignoffDto] }) items: AccessReviewSignoffDto[];
}
