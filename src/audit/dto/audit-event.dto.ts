import { ApiProperty } from '@nestjs/swagger';
import type { ChainRow } from '../audit-chain.js';

/** One audit row, with its place in the hash chain. Never carries a secret value. */
export class AuditEventDto {
  @ApiProperty({ description: 'Position in the hash chain (gapless)', example: '1042' }) seq: string;
  @ApiProperty() occurred_at: string;
  @ApiProperty({ example: 'ops-admin' }) actor: string;
  @ApiProperty({ type: [String] }) roles: string[];
  @ApiProperty({ example: 'secret.value_read' }) action: string;
  @ApiProperty({ enum: ['success', 'denied', 'error'] }) outcome: string;
  @ApiProperty({ nullable: true, type: String }) secret_id: string | null;
  @ApiProperty({ nullable: true, type: String }) secret_name: string | null;
  @ApiProperty({ nullable: true, type: String }) request_id: string | null;
  @ApiProperty({ nullable: true, type: String }) client_ip: string | null;
  @ApiProperty({ nullable: true, type: String }) user_agent: string | null;
  @ApiProperty({ type: Object, description: 'Value-free context: method, route, status, counts' }) details: Record<string, unknown>;
  @ApiProperty() prev_hash: string;
  @ApiProperty({ description: 'SHA-256(prev_hash ‖ canonical row)' }) hash: string;

  static from(r: ChainRow): AuditEventDto {
    return Object.assign(new AuditEventDto(), {
      seq: r.seq,
      occurred_at: r.occurred_at,
      actor: r.actor,
      roles: r.roles,
      action: r.action,
      outcome: r.outcome,
      secret_id: r.secret_id,
      secret_name: r.secret_name,
      request_id: r.request_id,
      client_ip: r.client_ip,
      user_agent: r.user_agent,
      details: r.details,
      prev_hash: r.prev_hash,
      hash: r.hash,
    });
  }
}

export class AuditEventListDto {
  @ApiProperty({ type: [AuditEventDto], description: 'Newest first' }) items: AuditEventDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as cursor for the next (older) page' }) next_cursor: string | null;
}
