import type { AuditEventInput } from './audit-catalogue.js';

/**
 * The audit writer's INSERT and the rows it takes, without the framework around them (the
 * benchmark's floor runs the same statement: bench/baseline/floor.ts).
 */

/** The columns a writer fills; seq, prev_hash and hash stay NULL until the sealer sets them. */
const COLUMNS = 'occurred_at, actor, roles, action, outcome, secret_id, secret_name, request_id, client_ip, user_agent, details';
/**
 * One parameter for the whole batch (the keys are column names): far less work per row than an
 * ORM insert. inserted_at is set by the table's trigger, not by us.
 */
export const AUDIT_INSERT = `INSERT INTO audit_events (${COLUMNS}) SELECT ${COLUMNS} FROM json_populate_recordset(NULL::audit_events, $1::json)`;

/** AUDIT_INSERT's parameter: the rows as stored, `now` stamping events that carry no time. */
export function auditRowsJson(events: AuditEventInput[], now: () => Date): string {
  const rows = events.map((e) => ({
    occurred_at: (e.occurredAt ?? now()).toISOString(),
    actor: text(e.actor, 256),
    roles: e.roles.map((r) => text(r)),
    action: e.action,
    outcome: e.outcome,
    // Cut to the column sizes: a 41-character path parameter must not make a denial unauditable.
    secret_id: optText(e.secretId, 40),
    secret_name: optText(e.secretName, 128),
    request_id: optText(e.requestId, 64),
    client_ip: optText(e.clientIp, 64),
    user_agent: optText(e.userAgent, 256),
    details: Object.fromEntries(Object.entries(e.details ?? {}).map(([k, v]) => [text(k), typeof v === 'string' ? text(v) : v])),
  }));
  return JSON.stringify(rows);
}

/**
 * Text as PostgreSQL will store it and give it back, so what the sealer hashes is what a reader
 * sees: no NUL (refused by text and jsonb), no lone surrogate (stored as U+FFFD).
 */
function text(s: string, max?: number): string {
  const cut = max === undefined ? s : s.slice(0, max);
  return cut.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
const optText = (s: string | null | undefined, max: number) => (s === null || s === undefined ? null : text(s, max));
