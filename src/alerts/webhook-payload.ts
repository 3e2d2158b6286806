import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AlertSeverity } from './alert.types.js';

/** An alert as stored and sent: value-free facts only (ids, names, counts, reasons). */
export interface StoredAlert {
  id: string;
  kind: string;
  severity: AlertSeverity;
  summary: string;
  details: Record<string, unknown>;
  occurredAt: Date;
}

export type WebhookFormat = 'json' | 'slack';

export const SIGNATURE_HEADER = 'x-strongroom-signature';

/** The JSON body receivers get: exactly these six fields. */
export function jsonPayload(a: StoredAlert) {
  return { id: a.id, kind: a.kind, severity: a.severity, summary: a.summary, details: a.details, occurred_at: a.occurredAt.toISOString() };
}

const SLACK_ICON: Record<AlertSeverity, string> = { critical: ':rotating_light:', warning: ':warning:', info: ':information_source:' };
/** Slack's mrkdwn treats these three as control characters. */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function slackValue(v: unknown): string {
  if (Array.isArray(v)) {
    const shown = v.slice(0, 10).map(String).join(', ');
    return v.length > 10 ? `${shown} … (${v.length} in all)` : shown;
  }
  return v === null || v === undefined ? '—' : String(v);
}

/** Slack-compatible body (`{ text }`, mrkdwn): severity, summary and the alert's details. */
export function slackPayload(a: StoredAlert): { text: string } {
  const lines = [
    `${SLACK_ICON[a.severity] ?? ''} *${a.severity.toUpperCase()}* \`${slackEscape(a.kind)}\`: ${slackEscape(a.summary)}`.trim(),
    ...Object.entries(a.details).map(([k, v]) => `• ${slackEscape(k)}: ${slackEscape(slackValue(v))}`),
    `_alert ${a.id} at ${a.occurredAt.toISOString()}_`,
  ];
  return { text: lines.join('\n').slice(0, 3900) };
}

/** The exact bytes POSTed for an alert in the configured format. */
export function renderBody(a: StoredAlert, format: WebhookFormat): Buffer {
  return Buffer.from(JSON.stringify(format === 'slack' ? slackPayload(a) : jsonPayload(a)), 'utf8');
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, the scheme Stripe uses: the
 * timestamp is signed with the body so a captured request cannot be replayed later.
 */
export function signatureHeader(secret: string, body: Buffer, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** What a receiver does (see README.md); used by the tests. */
export function verifySignature(secret: string, body: Buffer, header: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = new Map(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

/**
 * Delay before the next attempt after `attempts` failed ones: base·2^(attempts-1), capped, with
 * "equal jitter" (between half and all of it) so replicas and receivers are not hit in step.
 */
export function retryDelayMs(attempts: number, baseMs: number, capMs: number, random = Math.random): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 40)));
  return Math.round(exp * (0.5 + random() / 2));
}

/** A webhook URL as shown by the API: host and port only (the path may carry a token). */
export function targetHost(target: string): string {
  try {
    return new URL(target).host;
  } catch {
    return 'invalid-url';
  }
}
