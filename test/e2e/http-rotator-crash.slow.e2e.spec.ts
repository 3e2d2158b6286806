import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildAppHarness, childAppHarness, completedRotation } from '../support/child-app.js';
import { type KeyHolder, type RotationStepName, startKeyHolder } from '../support/key-holder.js';

const S = '/api/v1/secrets';
const initial = 'sk_initial_api_key_0123456789abcdef';

/** Strongroom killed with SIGKILL while the http rotator's calls are at the target, then started again. */
describe('http rotator: kill -9 mid-rotation resumes to a working key', () => {
  let h: ChildAppHarness;
  let holder: KeyHolder;
  let signingKey = '';
  const call = (method: string, path: string, body?: unknown) => h.call(method, path, body);

  beforeAll(async () => {
    h = await childAppHarness('http-crash', { ROTATOR_ALLOWED_HOSTS: '127.0.0.1', ROTATION_RESUME_AFTER_SECONDS: '1', ROTATION_RETRY_BASE_DELAY_MS: '10' });
    holder = await startKeyHolder(() => signingKey, initial);
  });
  afterAll(async () => {
    await h?.close();
    await holder?.close();
  });

  it('resumes after a kill at set and at finish: the new key is current and works, the old one stops', async () => {
    await h.start();
    const signing = await call('POST', `${S}/`, { name: 'crash_signing', secret_type: 'WEBHOOK_SECRET' });
    signingKey = (await call('GET', `${S}/${signing.body.id}/value`)).body.value;

    for (const killAt of ['set', 'finish'] as RotationStepName[]) {
      holder.accepted.clear();
      holder.accepted.add(initial);
      const s = await call('POST', `${S}/`, {
        name: `crash_key_${killAt}`,
        secret_type: 'API_KEY',
        value: initial,
        rotator: { kind: 'http', url: holder.url, admin_secret_id: signing.body.id, ssl_ca: holder.ca },
      });
      expect(s.status).toBe(201);
      let killed = false;
      // The target does the step (and answers nobody): Strongroom dies before it hears back.
      holder.onStep = async (step) => {
        if (step !== killAt || killed) return;
        killed = true;
        await h.kill();
      };
      await call('POST', `${S}/${s.body.id}/rotate`).catch(() => undefined);
      expect(killed).toBe(true);
      holder.onStep = undefined;
      await h.start();

      const rotation = await completedRotation(h, s.body.id);
      expect(rotation).toMatchObject({ status: 'completed', rotator: 'http' });
      const { value, version } = (await call('GET', `${S}/${s.body.id}/value`)).body;
      expect(version).toBe(2);
      expect(await holder.canUse(value)).toBe(true);
      expect(await holder.canUse(initial)).toBe(false);
      expect([...holder.accepted]).toEqual([value]);
    }
  }, 240_000);
});
