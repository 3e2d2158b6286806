import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { HttpRotatorConfig, SecretEntity } from '../../../secrets/entities/secret.entity.js';
import type { RotationCheck, RotationStep, RotatorContext } from '../../rotator.port.js';
import type { CheckedTarget } from '../../rotator-target.js';
import { DryRunChecks } from '../shared/dry-run.js';
import { httpsRequest, type HttpsTimeouts, jsonObject } from '../shared/https-request.js';
import { checkedHttpsEndpoint } from '../shared/settings.js';
import { TargetRotator } from '../shared/target-rotator.js';

export type HttpRotationCall = 'create' | 'set' | 'test' | 'finish' | 'revert' | 'check';

export type HttpRotatorTimeouts = HttpsTimeouts;

/** Tries per call: network errors, timeouts, 429 and 5xx are tried again (the calls are idempotent). */
const TRIES = 3;
const RETRY_BASE_MS = 200;
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
export class HttpRotator extends TargetRotator<'http', HttpsTimeouts> {
  readonly kind = 'http';

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
    const dry = new DryRunChecks();
    let target: CheckedTarget | undefined;
    await dry.record('target allowed', async () => {
      const checked = await checkedHttpsEndpoint(this.targets, cfg.url, cfg.ssl_ca);
      target = checked.target;
      return `${checked.url.hostname.replace(/^\[|\]$/g, '')} (${target.addresses.map((a) => a.address).join(', ')}), https`;
    });
    if (!target) return dry.checks;
    // A dry run's calls change nothing at the target: `check` asks whether a rotation would be
    // accepted (signature, permission), `test` whether the current value works.
    const step = { rotationId: 'dry_run', versionId: `dry_run.${randomBytes(9).toString('base64url')}` };
    const t = target;
    if (await dry.record('target accepts signed rotation calls', () => this.call(secret, ctx, 'check', 'check', step, undefined, t).then(() => undefined))) {
      await dry.record('current value passes the target test', () => this.call(secret, ctx, 'check', 'test', step, currentValue, t).then(() => undefined));
    }
    return dry.checks;
  }

  private async checkedTarget(cfg: HttpRotatorConfig): Promise<CheckedTarget> {
    return (await checkedHttpsEndpoint(this.targets, cfg.url, cfg.ssl_ca)).target;
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

  private async post(url: URL, target: CheckedTarget, body: string, key: string, idempotencyKey: string): Promise<Record<string, unknown> | null> {
    const { status, text } = await httpsRequest(
      url,
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
          [SIGNATURE_HEADER]: signRotationCall(key, body, Math.floor(Date.now() / 1000)),
        },
        body,
      },
      this.timeouts,
    );
    // The answer's text is never shown: a target may echo the value.
    if (status === 429 || status >= 500) throw new Error(`the target answered ${status}`);
    if (status < 200 || status >= 300) throw new CallRefused(`the target answered ${status}`);
    return jsonObject(text);
  }
}
