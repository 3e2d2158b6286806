import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jsonPayload, renderBody, retryDelayMs, signatureHeader, slackPayload, type StoredAlert, targetHost, verifySignature } from './webhook-payload.js';

const alert: StoredAlert = {
  id: 'alr_1',
  kind: 'rotation_failed',
  severity: 'critical',
  summary: 'Rotation of <secret> failed & stopped',
  details: { secret_id: 'sec_1', attempts: 2, secret_ids: Array.from({ length: 12 }, (_, i) => `sec_${i}`), reason: null },
  occurredAt: new Date('2026-11-30T12:00:00.000Z'),
};

describe('webhook payloads', () => {
  it('sends exactly the six documented fields as JSON', () => {
    const body = JSON.parse(renderBody(alert, 'json').toString('utf8'));
    expect(Object.keys(body)).toEqual(['id', 'kind', 'severity', 'summary', 'details', 'occurred_at']);
    expect(body).toEqual(jsonPayload(alert));
    expect(body.occurred_at).toBe('2026-11-30T12:00:00.000Z');
  });

  it('renders Slack text with severity, summary and details, escaping mrkdwn controls', () => {
    const { text } = slackPayload(alert);
    expect(text).toContain('*CRITICAL*');
    expect(text).toContain('Rotation of &lt;secret&gt; failed &amp; stopped');
    expect(text).toContain('• secret_id: sec_1');
    expect(text).toContain('• attempts: 2');
    expect(text).toContain('(12 in all)');
    expect(text).toContain('alr_1');
    expect(Object.keys(JSON.parse(renderBody(alert, 'slack').toString()))).toEqual(['text']);
  });
});

describe('signatures', () => {
  const body = renderBody(alert, 'json');

  it('is t=<unix>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const header = signatureHeader('whsec', body, 1_800_000_000);
    const mac = createHmac('sha256', 'whsec').update(`1800000000.${body.toString('utf8')}`).digest('hex');
    expect(header).toBe(`t=1800000000,v1=${mac}`);
  });

  it('verifies, and rejects another key, another body or an old timestamp', () => {
    const header = signatureHeader('whsec', body, 1_800_000_000);
    expect(verifySignature('whsec', body, header, 1_800_000_010)).toBe(true);
    expect(verifySignature('other', body, header, 1_800_000_010)).toBe(false);
    expect(verifySignature('whsec', Buffer.concat([body, Buffer.from(' ')]), header, 1_800_000_010)).toBe(false);
    expect(verifySignature('whsec', body, header, 1_800_000_000 + 301)).toBe(false);
    expect(verifySignature('whsec', body, 't=x,v1=zz', 1_800_000_000)).toBe(false);
  });
});

describe('retry delays', () => {
  it('doubles from the base, jittered between half and all, and stops at the cap', () => {
    expect(retryDelayMs(1, 1000, 3_600_000, () => 1)).toBe(1000);
    expect(retryDelayMs(1, 1000, 3_600_000, () => 0)).toBe(500);
    expect(retryDelayMs(4, 1000, 3_600_000, () => 1)).toBe(8000);
    expect(retryDelayMs(30, 1000, 3_600_000, () => 1)).toBe(3_600_000);
    expect(retryDelayMs(1000, 1000, 3_600_000, () => 1)).toBe(3_600_000);
  });
});

describe('targetHost', () => {
  it('keeps host and port, never the path or credentials', () => {
    expect(targetHost('https://user:pw@hooks.example.com:8443/T000/B000/XXXX?token=abc')).toBe('hooks.example.com:8443');
    expect(targetHost('not a url')).toBe('invalid-url');
  });
});
