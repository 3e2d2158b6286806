import { Injectable } from '@nestjs/common';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { UnitOfWork } from '../database/unit-of-work.js';

/** One secret whose value an actor read, from the audit log. */
export interface ValueReadBy {
  secretId: string;
  /** The name the newest read's row recorded. */
  secretName: string | null;
  reads: number;
  firstReadAt: Date;
  lastReadAt: Date;
}

/** The most secrets one question answers (more than any deployment holds). */
export const MAX_VALUE_READ_SECRETS = 100_000;

/**
 * Who read which values, from the audit log: the authoritative record (a value leaves the service
 * only after its `secret.value_read` row is committed), unlike `secret_consumers`, a summary that
 * can lag. Committed rows count whether sealed yet or not. Used by incident response.
 */
@Injectable()
export class AuditValueReads {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Every secret `actor` read a value of (successfully) in [from, to), oldest first read first.
   * Runs in the caller's unit of work when there is one.
   */
  async readBy(actor: string, from: Date, to: Date): Promise<ValueReadBy[]> {
    const rows = (await this.uow.manager().query(
      `SELECT secret_id, (array_agg(secret_name ORDER BY occurred_at DESC))[1] AS secret_name, count(*)::int AS reads,
              min(occurred_at) AS first_read_at, max(occurred_at) AS last_read_at
       FROM audit_events
       WHERE actor = $1 AND action = $2 AND outcome = 'success' AND secret_id IS NOT NULL AND occurred_at >= $3 AND occurred_at < $4
       GROUP BY secret_id ORDER BY min(occurred_at), secret_id LIMIT $5`,
      [actor, AuditAction.SecretValueRead, from, to, MAX_VALUE_READ_SECRETS],
    )) as { secret_id: string; secret_name: string | null; reads: number; first_read_at: Date; last_read_at: Date }[];
    return rows.map((r) => ({
      secretId: r.secret_id,
      secretName: r.secret_name,
      reads: Number(r.reads),
      firstReadAt: new Date(r.first_read_at),
      lastReadAt: new Date(r.last_read_at),
    }));
  }
}
