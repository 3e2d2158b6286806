import { ApiProperty } from '@nestjs/swagger';
import type { ReportEntity } from '../entities/report.entity.js';

export class ReportPeriodDto {
  @ApiProperty({ example: '2026-11-01T00:00:00.000Z' }) from: string;
  @ApiProperty({ example: '2026-11-30T23:59:59.999Z', description: 'Inclusive (the last millisecond of the period)' }) to: string;
}

/** A stored report without its document (list entries, POST result). */
export class ReportSummaryDto {
  @ApiProperty({ example: 'rpt_3kQ9xVb2LmN8pR4s' }) id: string;
  @ApiProperty({ enum: ['security', 'compliance', 'access_review', 'annual'] }) kind: string;
  @ApiProperty({ nullable: true, type: String, enum: ['soc2', 'pci_dss', 'gdpr', 'hipaa'] }) standard: string | null;
  @ApiProperty({ type: ReportPeriodDto }) period: ReportPeriodDto;
  @ApiProperty() generated_at: string;
  @ApiProperty() generated_by: string;
  @ApiProperty({ description: 'Hex SHA-256 of the canonical JSON' }) sha256: string;
  @ApiProperty({ description: 'Ed25519 key that signed it' }) key_id: string;
  @ApiProperty({ example: '/api/v1/reports/rpt_3kQ9xVb2LmN8pR4s?format=pdf' }) download_url: string;
  @ApiProperty({ nullable: true, type: Number, example: 84, description: "A security report's score (its metrics.security_score); null for other kinds" })
  security_score: number | null;

  /** `securityScore`: given by a listing (which reads only that path of the document); else read from the document. */
  static from(r: ReportEntity, securityScore: number | null = scoreOf(r)): ReportSummaryDto {
    return Object.assign(new ReportSummaryDto(), {
      id: r.id,
      kind: r.kind,
      standard: r.standard,
      period: { from: r.periodFrom.toISOString(), to: r.periodTo.toISOString() },
      generated_at: r.generatedAt.toISOString(),
      generated_by: r.generatedBy,
      sha256: r.sha256.trim(),
      key_id: r.keyId,
      download_url: `/api/v1/reports/${r.id}`,
      security_score: securityScore,
    });
  }
}

export class ReportListDto {
  @ApiProperty({ type: [ReportSummaryDto] }) items: ReportSummaryDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export class ReportIntegrityDto {
  @ApiProperty() sha256: string;
  @ApiProperty({ description: 'Base64 Ed25519 signature over the canonical JSON (all members but integrity)' }) signature: string;
  @ApiProperty() key_id: string;
}

/** The JSON form of a report (what `format=json` downloads). */
export class ReportDocumentDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'strongroom.report.v1' }) schema: string;
  @ApiProperty({ enum: ['security', 'compliance', 'access_review', 'annual'] }) kind: string;
  @ApiProperty({ required: false, enum: ['soc2', 'pci_dss', 'gdpr', 'hipaa'] }) standard?: string;
  @ApiProperty() title: string;
  @ApiProperty({ required: false }) subtitle?: string;
  @ApiProperty({ type: ReportPeriodDto }) period: ReportPeriodDto;
  @ApiProperty() generated_at: string;
  @ApiProperty({ type: ReportIntegrityDto }) integrity: ReportIntegrityDto;
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'Headline figures: {key, label, value}' }) summary: object[];
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Machine-readable figures, e.g. security_score' })
  metrics: Record<string, unknown>;
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'Tables, charts and text, in document order' }) sections: object[];
}

function scoreOf(r: ReportEntity): number | null {
  const score = (r.document?.metrics as Record<string, unknown> | undefined)?.security_score;
  return typeof score === 'number' ? score : null;
}
