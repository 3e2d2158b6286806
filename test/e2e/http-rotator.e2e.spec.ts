import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { rotateAndSettle } from '../support/rotation.js';
import { type KeyHolder, type RotationStepName, startKeyHolder } from '../support/key-holder.js';

const S = '/api/v1/secrets';
const initial = 'sk_initial_api_key_0123456789abcdef';

/** The http rotator against a real HTTPS service that holds API keys (started here, on 127.0.0.1). */
describe('http rotator: create, set, test, finish against a key-holding service', () => {
  let app: TestApp;
  let holder: KeyHolder;
  let signingKey = '';
  let signingId: string;
  let n = 0;

  beforeAll(async () => {
    app = await startTestApp({ env: { ROTATION_MAX_ATTEMPTS: '2', ROTATOR_ALLOWED_HOSTS: '127.0.0.1' } });
    const signing = await app.call('POST', `${S}/`, { body: { name: 'key_holder_signing', secret_type: 'WEBHOOK_SECRET' } });
    signingId = signing.body.id;
    signingKey = (await app.call('GET', `${S}/${signingId}/value`)).body.value;
    holder = await startKeyHolder(() => signingKey, initial);
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await holder?.close();
  });
  beforeEach(() => {
    holder.accepted.clear();
    holder.accepted.add(initial);
    holder.failures.clear();
    holder.issue = false;
    holder.calls.length = 0;
  });

  const rotator = (over: Record<string, unknown> = {}) => ({ kind: 'http', url: holder.url, admin_secret_id: signingId, ssl_ca: holder.ca, ...over });
  const createKey = async (type = 'API_KEY') =>
    (await app.call('POST', `${S}/`, { body: { name: `held_key_${++n}`, secret_type: type, value: initial, rotator: rotator() } })).body;
  const valueOf = async (id: string) => (await app.call('GET', `${S}/${id}/value`)).body;

  it('rotates: the new key works at the target, the old one stops, each call signed and idempotent', async () => {
    const s = await createKey();
    expect(s.rotator).toMatchObject({ kind: 'http', url: holder.url, admin_secret_id: signingId });

    const res = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', rotator: 'http', attempts: 1, to_version: 2 });
    const { value, version } = await valueOf(s.id);
    expect(version).toBe(2);
    expect(value).not.toBe(initial);
    expect(await holder.canUse(value)).toBe(true);
    expect(await holder.canUse(initial)).toBe(false);

    expect(holder.calls.map((c) => c.step)).toEqual(['create', 'set', 'test', 'finish']);
    const versionId = `${res.body.id}.1`;
    expect(holder.calls.map((c) => c.idempotencyKey)).toEqual(['create', 'set', 'test', 'finish'].map((st) => `${versionId}:${st}`));
  });

  it('uses the value the target issues in create', async () => {
    holder.issue = true;
    const s = await createKey();
    const res = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(res.body).toMatchObject({ status: 'completed', to_version: 2 });
    const { value } = await valueOf(s.id);
    expect(value).toMatch(/^issued_/);
    expect(await holder.canUse(value)).toBe(true);
    expect(await holder.canUse(initial)).toBe(false);
  });

  it('rotates a type Strongroom cannot generate when the target issues the value', async () => {
    holder.issue = true;
    const s = await createKey('SERVICE_ACCOUNT_KEY');
    const res = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(res.body).toMatchObject({ status: 'completed' });
    expect(await holder.canUse((await valueOf(s.id)).value)).toBe(true);
  });

  it('tries a call again after a transient failure, with the same idempotency key', async () => {
    const s = await createKey();
    holder.failures.set('set', { status: 503, once: true });
    const res = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(res.body).toMatchObject({ status: 'completed', attempts: 1 });
    const sets = holder.calls.filter((c) => c.step === 'set');
    expect(sets).toHaveLength(2);
    expect(sets[0]!.idempotencyKey).toBe(sets[1]!.idempotencyKey);
    expect(await holder.canUse((await valueOf(s.id)).value)).toBe(true);
  });

  for (const step of ['create', 'set', 'test', 'finish'] as RotationStepName[]) {
    it(`a failure at ${step} leaves the previous key current and working`, async () => {
      const s = await createKey();
      holder.failures.set(step, { status: 400 });
      const { response, rotation } = await rotateAndSettle(app, s.id);
      expect(response.status).toBe(202);
      expect(rotation).toMatchObject({ status: 'failed', attempts: 2 });
      expect(rotation.last_error).toMatch(new RegExp(`${step} call to 127\\.0\\.0\\.1:\\d+: the target answered 400`));
      // The target's answer (which echoes the value here) is never shown.
      expect(JSON.stringify([response.body, rotation])).not.toMatch(/injected failure/);
      expect(await valueOf(s.id)).toMatchObject({ version: 1, value: initial });
      expect(await holder.canUse(initial)).toBe(true);
      expect([...holder.accepted]).toEqual([initial]);
      if (step !== 'create') expect(holder.calls.filter((c) => c.step === 'revert')).toHaveLength(2);
    });
  }

  it('dry run checks the signed call and the current key without changing anything', async () => {
    const s = await createKey();
    const dry = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
    expect(dry.body).toMatchObject({ ready: true, rotator: 'http' });
    expect(dry.body.checks.map((c: { check: string }) => c.check)).toEqual(
      expect.arrayContaining(['target allowed', 'target accepts signed rotation calls', 'current value passes the target test']),
    );
    expect(holder.calls.map((c) => c.step)).toEqual(['check', 'test']);
    expect((await app.call('GET', `${S}/${s.id}/rotations`)).body).toEqual([]);
    expect(await holder.canUse(initial)).toBe(true);

    // A wrong signing key is reported as such.
    const wrong = await app.call('POST', `${S}/`, { body: { name: `other_signing_${++n}`, secret_type: 'WEBHOOK_SECRET' } });
    await app.call('PATCH', `${S}/${s.id}`, { body: { rotator: rotator({ admin_secret_id: wrong.body.id }) } });
    const bad = await app.call('POST', `${S}/${s.id}/rotate?dry_run=true`);
    expect(bad.body.ready).toBe(false);
    expect(bad.body.checks.find((c: { check: string }) => c.check === 'target accepts signed rotation calls')).toMatchObject({ ok: false, detail: expect.stringMatching(/401/) });
  });

  it('refuses settings that would send values without TLS, off the allow-list, or signed with a non-signing secret', async () => {
    const apiKey = await app.call('POST', `${S}/`, { body: { name: `not_a_signing_key_${++n}`, secret_type: 'API_KEY' } });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ url: holder.url.replace('https:', 'http:') }, /url must be https/],
      [{ url: holder.url.replace('127.0.0.1', '127.0.0.2') }, /not on ROTATOR_ALLOWED_HOSTS/],
      [{ url: 'https://169.254.169.254/latest' }, /link-local or cloud metadata/],
      [{ admin_secret_id: apiKey.body.id }, /must be WEBHOOK_SECRET/],
      [{ host: '127.0.0.1' }, /host is not a setting of the http rotator/],
      [{ url: 'https://user:pw@127.0.0.1/rotation' }, /must not contain credentials/],
    ];
    for (const [over, message] of cases) {
      const res = await app.call('POST', `${S}/`, { body: { name: `refused_${++n}`, secret_type: 'API_KEY', value: initial, rotator: rotator(over) } });
      expect(res.status, JSON.stringify(over)).toBe(400);
      expect(res.body.message).toMatch(message);
    }
    const noUrl = await app.call('POST', `${S}/`, { body: { name: `refused_${++n}`, secret_type: 'API_KEY', value: initial, rotator: { kind: 'http', admin_secret_id: signingId } } });
    expect(noUrl.status).toBe(400);
    expect(holder.calls).toEqual([]);
  });
});
