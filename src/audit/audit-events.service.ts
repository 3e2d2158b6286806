import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { decodeSequenceCursor } from '../common/keyset-cursor.js';
import type { ChainRow } from './audit-chain.js';
import { ISO_MS } from './audit-rows.js';
import { AuditEventDto, type AuditEventListDto } from './dto/audit-event.dto.js';
import type { AuditEventsQuery } from './dto/audit-queries.dto.js';
import { AuditSealer } from './sealer/audit-sealer.js';

/**
 * GET /api/v1/audit/events: filtered, newest first, keyset-paginated on seq (each filter has an
 * index). Lists the sealed chain; what has committed is sealed first.
 */
@Injectable()
export class AuditEvents {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sealer: AuditSealer,
  ) {}

  async list(q: AuditEventsQuery): Promise<AuditEventListDto> {
    const limit = q.limit ?? 50;
    await this.sealer.sealNow();
    const where: string[] = ['seq IS NOT NULL'];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.actor !== undefined) add('actor = ?', q.actor);
    if (q.action !== undefined) add('action = ?', q.action);
    if (q.secret_id !== undefined) add('secret_id = ?', q.secret_id);
    if (q.outcome !== undefined) add('outcome = ?', q.outcome);
    if (q.from !== undefined) add('occurred_at >= ?', q.from);
    if (q.to !== undefined) add('occurred_at < ?', q.to);
    if (q.cursor !== undefined) add('seq < ?', decodeSequenceCursor(q.cursor));
    params.push(limit + 1);
    const rows = (await this.dataSource.query(
      `SELECT seq::text AS seq, ${ISO_MS} AS occurred_at, actor, roles, action, outcome, secret_id, secret_name, request_id,
              client_ip, user_agent, details, prev_hash, hash
       FROM audit_events WHERE ${where.join(' AND ')}
       ORDER BY audit_events.seq DESC LIMIT $${params.length}`,
      params,
    )) as ChainRow[];
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => AuditEventDto.from(r)),
      next_cursor: rows.length > limit ? page[page.length - 1]!.seq : null,
    };
  }
}
