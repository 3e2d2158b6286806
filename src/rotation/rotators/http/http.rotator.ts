import { createHmac, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import type { LookupFunction } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { HttpRotatorConfig, SecretEntity } from '../../../secrets/entities/secret.entity.js';
import { Rotator, type RotationCheck, type RotationStep, type RotatorContext } from '../../rotator.port.js';
import { httpEndpoint } from '../../rotator-settings.js';
import { type CheckedTarget, RotatorTargetPolicy, RotatorTargetRefused, tlsSettingsProblem } from '../../rotator-target.js';

export type HttpRotationCall = 'create' | 'set' | 'test' | 'finish' | 'revert' | 'check';

export interface HttpRotatorTimeouts {
  /** DNS, TCP and TLS together. */
  connectTimeoutMs: number;
  /** Each call, from request to the end of the answer. */
  requestTimeoutMs: number;
}

/** Tries per call: network errors, timeouts, 429 and 5xx are tried again (the calls are idempotent). */
const TRIES = 3;
const RETRY_BASE_MS = 200;
const MAX_ANSWER_BYTES = 64 * 1024;
export const SIGNATURE_HEADER = 'x-strongroom-signature';

/** A call the target refused for good (4xx other than 429): not tried again. */
class CallRefused extends Error {}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>`, as alert webhooks are signed. */
export function signRotationCall(key: string, body: string, nowSeconds: number): string {
  return `t=${nowSeconds},v1=${createHmac('sha256', key).update(`${nowSeconds}.${body}`).digest('hex')}`;
}

/**
 * Rotates a value held by any system with an HTTPS endpoint, in the spirit of AWS's rotation
 * Lambda: four signed POSTs to the configured url, each naming its `step`:
 *
 * - `create`: a rotation attempt begins; the target may answer `{ "value": "…" }` to issue the
 *   new value itself (otherwise Strongroom generates it);
 * - `set`: the target starts accepting `value` next to the current one;
 * - `test`: the target confirms `value` works;
 * - `finish`: the target stops accepting the previous value.
 *
 * When anything fails, `revert` tells it to keep (or again accept) `value`, the previous value,
 * and to drop the attempt's new one. Every call carries `version_id` and an `Idempotency-Key`
 * (`<version_id>:<step>`), the same when a crashed attempt is resumed, and is tried again on
 * network errors, 429 and 5xx. Calls go only to the address RotatorTargetPolicy checked, over
 * verified TLS, and are signed with the HMAC key `admin_secret_id` names.
 */
export class HttpRotator extends Rotator {
  readonly kind = 'http';
  readonly external = true;

  constructor(
    private readonly targets: RotatorTargetPolicy,
    private readonly timeouts: HttpRotatorTimeouts,
  ) {
    super();
  }

  override adminSecretId(secret: SecretEntity): string | null {
    return this.config(secret).admin_secret_id;
  }

  override producesValues(): boolean {
    return true;
  }

  override async produce(secret: SecretEntity, ctx: RotatorContext, step: RotationStep): Promise<string | null> {
    const answer = await this.call(secret, ctx, 'apply', 'create', step);
    if (answer === null || answer.value === undefined || answer.value === null) return null;
    if (typeof answer.value !== 'string' || answer.value.length === 0) throw new Error('the target answered create with a value that is not a non-empty string');
    return answer.value;
  }

  async apply(secret: SecretEntity, newValue: string, ctx: RotatorContext, step: RotationStep): Promise<void> {
    await this.call(secret, ctx, 'apply', 'set', step, newValue);
  }

  async verify(secret: SecretEntity, newValue: string, ctx: RotatorContext, step: RotationStep): Promise<void> {
    await this.call(secret, ctx, 'apply', 'test', step, newValue);
  }

  override async finish(secret: SecretEntity, newValue: string, ctx: RotatorContext, step: RotationStep): Promise<void> {
    await this.call(secret, ctx, 'apply', 'finish', step);
  }

  async revert(secret: SecretEntity, oldValue: string, ctx: RotatorContext, step: RotationStep): Promise<void> {
    await this.call(secret, ctx, 'revert', 'revert', step, oldValue);
  }

  async check(secret: SecretEntity, currentValue: string, ctx: RotatorContext): Promise<RotationCheck[]> {
    const cfg = this.config(secret);
    const checks: RotationCheck[] = [];
    const endpoint = httpEndpoint(cfg.url);
    let target: CheckedTarget | undefined;
    try {
      if ('problem' in endpoint) throw new RotatorTargetRefused(endpoint.problem);
      target = await this.checkedTarget(cfg);
      checks.push({ check: 'target allowed', ok: true, detail: `${endpoint.host} (${target.addresses.map((a) => a.address).join(', ')}), https` });
    } catch (e) {
      checks.push({ check: 'target allowed', ok: false, detail: (e as Error).message });
      return checks;
    }
    // A dry run's calls change nothing at the target: `check` asks whether a rotation would be
    // accepted (signature, permission), `test` whether the current value works.
    const step = { rotationId: 'dry_run', versionId: `dry_run.${randomBytes(9).toString('base64url')}` };
    for (const [check, call, value] of [
      ['target accepts signed rotation calls', 'check', undefined],
      ['current value passes the target test', 'test', currentValue],
    ] as const) {
      try {
        await this.call(secret, ctx, 'check', call, step, value, target);
        checks.push({ check, ok: true });
      } catch (e) {
        checks.push({ check, ok: false, detail: (e as Error).message });
        if (call === 'check') break;
      }
    }
    return checks;
  }

  private config(secret: SecretEntity): HttpRotatorConfig {
    if (!secret.rotator || secret.rotator.kind !== 'http') throw new Error('the secret has no http rotator settings');
    return secret.rotator;
  }

  private async checkedTarget(cfg: HttpRotatorConfig): Promise<CheckedTarget> {
    const endpoint = httpEndpoint(cfg.url);
    if ('problem' in endpoint) throw new RotatorTargetRefused(endpoint.problem);
    const tlsProblem = tlsSettingsProblem({ sslmode: 'verify-full', ssl_ca: cfg.ssl_ca });
    if (tlsProblem) throw new RotatorTargetRefused(tlsProblem);
    return this.targets.check({ host: endpoint.host, port: endpoint.port, sslmode: 'verify-full', ssl_ca: cfg.ssl_ca ?? null });
  }

  /**
   * One signed call, tried again on transient failures. The target is checked first, and the
   * signing key read (audited) only after it passed. Answers: the JSON object the target sent, or null.
   */
  private async call(
    secret: SecretEntity,
    ctx: RotatorContext,
    use: 'check' | 'apply' | 'revert',
    call: HttpRotationCall,
    step: RotationStep,
    value?: string,
    checked?: CheckedTarget,
  ): Promise<Record<string, unknown> | null> {
    const cfg = this.config(secret);
    const target = checked ?? (await this.checkedTarget(cfg));
    const key = await ctx.readAdminCredential(cfg.admin_secret_id, use);
    const body = JSON.stringify({
      step: call,
      secret_id: secret.id,
      secret_name: secret.name,
      secret_type: secret.secretType,
      rotation_id: step.rotationId,
      version_id: step.versionId,
      ...(value !== undefined ? { value } : {}),
    });
    const url = new URL(cfg.url);
    let lastError: Error = new Error('no attempt');
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      if (attempt > 1) await delay(RETRY_BASE_MS * 2 ** (attempt - 2) * (0.5 + Math.random()));
      try {
        return await this.post(url, target, body, key, `${step.versionId}:${call}`);
      } catch (e) {
        lastError = e as Error;
        if (e instanceof CallRefused) break;
      }
    }
    throw new Error(`${call} call to ${url.host}: ${lastError.message}`.slice(0, 300));
  }

  private post(url: URL, target: CheckedTarget, body: string, key: string, idempotencyKey: string): Promise<Record<string, unknown> | null> {
    // The socket goes to the checked address only; SNI and the certificate check use the URL's name.
    const lookup: LookupFunction = (_host, options, cb) => {
      const first = target.addresses[0]!;
      if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: typeof target.addresses) => void)(null, target.addresses);
      else cb(null, first.address, first.family);
    };
    const tls = target.tls || {};
    return new Promise((resolve, reject) => {
      const req = request(
        {
          protocol: 'https:',
          hostname: target.host,
          port: target.port,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          lookup,
          ...tls,
          rejectUnauthorized: true,
          agent: false,
          timeout: this.timeouts.connectTimeoutMs,
          signal: AbortSignal.timeout(this.timeouts.connectTimeoutMs + this.timeouts.requestTimeoutMs),
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'idempotency-key': idempotencyKey,
            'user-agent': 'strongroom-rotator',
            [SIGNATURE_HEADER]: signRotationCall(key, body, Math.floor(Date.now() / 1000)),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
            else chunks.push(c);
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            // The answer's text is never shown: a target may echo the value.
            if (status === 429 || status >= 500) return reject(new Error(`the target answered ${status}`));
            if (status < 200 || status >= 300) return reject(new CallRefused(`the target answered ${status}`));
            const text = Buffer.concat(chunks).toString('utf8').trim();
            if (text === '') return resolve(null);
            try {
              const parsed: unknown = JSON.parse(text);
              resolve(parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null);
            } catch {
              resolve(null);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no connection within ${this.timeouts.connectTimeoutMs} ms`)));
      req.on('error', (e: Error & { code?: string }) => reject(new Error(e.name === 'AbortError' || e.name === 'TimeoutError' ? 'timed out' : `${e.code ?? e.message}`)));
      req.end(body);
    });
  }
}
