import { request } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckedTarget } from '../../rotator-target.js';

export interface HttpsTimeouts {
  /** DNS, TCP and TLS together. */
  connectTimeoutMs: number;
  /** Each request, from sending to the end of the answer. */
  requestTimeoutMs: number;
}

export interface HttpsAnswer {
  status: number;
  /** The answer's text: never to be logged or shown (a target may echo a value). */
  text: string;
}

const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One HTTPS request to a target RotatorTargetPolicy checked: the socket goes to the checked
 * address only, while SNI and the certificate check use the URL's name; TLS is always verified,
 * redirects are not followed, the answer is bounded. Network errors reject with their code only.
 */
export function httpsRequest(
  url: URL,
  target: CheckedTarget,
  req: { method: 'POST'; headers: Record<string, string | number>; body: string },
  timeouts: HttpsTimeouts,
): Promise<HttpsAnswer> {
  const lookup: LookupFunction = (_host, options, cb) => {
    const first = target.addresses[0]!;
    if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: typeof target.addresses) => void)(null, target.addresses);
    else cb(null, first.address, first.family);
  };
  const tls = target.tls || {};
  return new Promise((resolve, reject) => {
    const r = request(
      {
        protocol: 'https:',
        hostname: target.host,
        port: target.port,
        path: `${url.pathname}${url.search}`,
        method: req.method,
        lookup,
        ...tls,
        rejectUnauthorized: true,
        agent: false,
        timeout: timeouts.connectTimeoutMs,
        signal: AbortSignal.timeout(timeouts.connectTimeoutMs + timeouts.requestTimeoutMs),
        headers: { 'content-length': Buffer.byteLength(req.body), 'user-agent': 'strongroom-rotator', ...req.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) r.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8').trim() }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no connection within ${timeouts.connectTimeoutMs} ms`)));
    r.on('error', (e: Error & { code?: string }) => reject(new Error(e.name === 'AbortError' || e.name === 'TimeoutError' ? 'timed out' : `${e.code ?? e.message}`)));
    r.end(req.body);
  });
}

/** A JSON object answer, or null (empty, not JSON, not an object). */
export function jsonObject(text: string): Record<string, unknown> | null {
  if (text === '') return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
