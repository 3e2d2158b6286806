import { ApiProperty } from '@nestjs/swagger';
import type { SecurityFindingEntity } from '../findings/security-finding.entity.js';

export class FindingDto {
  @ApiProperty({ example: 'fnd_2J5kq0c9mR8xT1vQ' }) id: string;
  @ApiProperty({
    enum: ['value_read_spike', 'repeated_denials', 'unusual_hour', 'deleted_or_expired_read', 'new_actor', 'integrity_failure', 'audit_chain_broken'],
  })
  kind: string;
  @ApiProperty({ enum: ['info', 'warning', 'critical'] }) severity: string;
  @ApiProperty() summary: string;
  @ApiProperty({ nullable: true, type: String }) actor: string | null;
  @ApiProperty({ nullable: true, type: String }) client_ip: string | null;
  @ApiProperty({ nullable: true, type: String }) secret_id: string | null;
  @ApiProperty({ type: Object, description: 'Value-free facts: counts, hours, baselines' }) details: Record<string, unknown>;
  @ApiProperty() detected_at: string;
  @ApiProperty({ enum: ['open', 'resolved'] }) status: string;

  static from(e: SecurityFindingEntity): FindingDto {
    return Object.assign(new FindingDto(), {
      id: e.id,
      kind: e.kind,
      severity: e.severity,
      summary: e.summary,
      actor: e.actor,
      client_ip: e.clientIp,
      secret_id: e.secretId,
      details: e.details,
      detected_at: e.detectedAt.toISOString(),
      status: e.status,
    });
  }
}

export class FindingListDto {
  @ApiProperty({ type: [FindingDto] }) items: FindingDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as cursor for the next page' }) next_cursor: string | null;
}
