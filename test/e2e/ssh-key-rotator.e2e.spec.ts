import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sshpk from 'sshpk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { type KeyHolder, startKeyHolder } from '../support/key-holder.js';
import { rotateAndSettle } from '../support/rotation.js';

const S = '/api/v1/secrets';

/** The public key ssh-keygen derives from an OpenSSH private key (sshpk when ssh-keygen is missing). */
function derivePublicKey(privatePem: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sshkey-'));
  try {
    const file = join(dir, 'id');
    writeFileSync(file, privatePem, { mode: 0o600 });
    return execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return sshpk.parsePrivateKey(privatePem, 'ssh-private').toPublic().toString('ssh');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const keyPart = (line: string) => line.split(' ').slice(0, 2).join(' ');

describe('ssh_key rotator: a new Ed25519 key pair in OpenSSH format', () => {
  let app: TestApp;
  let holder: KeyHolder;
  let signingKey = '';
  let signingId: string;
  let n = 0;
  const initialKey = sshpk.generatePrivateKey('ed25519' as 'ecdsa') as sshpk.PrivateKey;
  const initial = initialKey.toString('ssh-private');
  const initialPublic = initialKey.toPublic().toString('ssh');

  beforeAll(async () => {
    app = await startTestApp({ env: { ROTATION_MAX_ATTEMPTS: '2', ROTATOR_ALLOWED_HOSTS: '127.0.0.1' } });
    const signing = await app.call('POST', `${S}/`, { body: { name: 'ssh_publish_signing', secret_type: 'WEBHOOK_SECRET' } });
    signingId = signing.body.id;
    signingKey = (await app.call('GET', `${S}/${signingId}/value`)).body.value;
    // A service that keeps authorized public keys, reached by the http rotator's signed calls.
    holder = await startKeyHolder(() => signingKey, initialPublic);
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await holder?.close();
  });
  const publishing = (over: Record<string, unknown> = {}) => ({ kind: 'ssh_key', publish_url: holder.url, admin_secret_id: signingId, ssl_ca: holder.ca, ...over });

  const create = async (rotator: Record<string, unknown> = { kind: 'ssh_key' }) =>
    app.call('POST', `${S}/`, { body: { name: `deploy_key_${++n}`, secret_type: 'SERVICE_ACCOUNT_KEY', value: initial, rotator } });

  it('rotates to a new Ed25519 key whose public key is published in the secret metadata', async () => {
    const created = await create();
    expect(created.status).toBe(201);
    expect(created.body.rotator).toEqual({ kind: 'ssh_key' });

    const res = await app.call('POST', `${S}/${created.body.id}/rotate`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', rotator: 'ssh_key', attempts: 1, to_version: 2 });

    const { value, version } = (await app.call('GET', `${S}/${created.body.id}/value`)).body;
    expect(version).toBe(2);
    expect(value).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    const parsed = sshpk.parsePrivateKey(value, 'ssh-private');
    expect(parsed.type).toBe('ed25519');

    const published = (await app.call('GET', `${S}/${created.body.id}`)).body.tags.ssh_public_key as string;
    expect(published).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+/);
    expect(keyPart(derivePublicKey(value))).toBe(keyPart(published));
    expect(keyPart(derivePublicKey(initial))).not.toBe(keyPart(published));
    expect(value).not.toBe(initial);

    // A second rotation publishes the next key; the private key never appears in the metadata.
    await app.call('POST', `${S}/${created.body.id}/rotate`);
    const after = (await app.call('GET', `${S}/${created.body.id}`)).body;
    expect(after.tags.ssh_public_key).not.toBe(published);
    expect(JSON.stringify(after)).not.toMatch(/PRIVATE KEY/);
  });

  it('publishes the new public key through signed calls; the old one is dropped at the target', async () => {
    holder.calls.length = 0;
    const created = await create(publishing());
    expect(created.status, created.text).toBe(201);
    const res = await app.call('POST', `${S}/${created.body.id}/rotate`);
    expect(res.body).toMatchObject({ status: 'completed', to_version: 2 });
    const published = (await app.call('GET', `${S}/${created.body.id}`)).body.tags.ssh_public_key as string;
    const { value } = (await app.call('GET', `${S}/${created.body.id}/value`)).body;
    expect(keyPart(derivePublicKey(value))).toBe(keyPart(published));
    expect([...holder.accepted]).toEqual([published]);
    expect(holder.calls.map((c) => c.step)).toEqual(['set', 'test', 'finish']);
  });

  it('a failed publish leaves the previous key current, at the target too', async () => {
    holder.accepted.clear();
    holder.accepted.add(initialPublic);
    holder.failures.set('test', { status: 400 });
    try {
      const created = await create(publishing());
      const { rotation } = await rotateAndSettle(app, created.body.id);
      expect(rotation).toMatchObject({ status: 'failed', attempts: 2 });
      expect(rotation.last_error).toMatch(/test call to 127\.0\.0\.1:\d+: the target answered 400/);
      expect((await app.call('GET', `${S}/${created.body.id}/value`)).body).toMatchObject({ version: 1, value: initial });
      expect([...holder.accepted]).toEqual([initialPublic]);
      expect((await app.call('GET', `${S}/${created.body.id}`)).body.tags.ssh_public_key).toBeUndefined();
    } finally {
      holder.failures.clear();
    }
  });

  it('dry run is ready without a target', async () => {
    const created = await create();
    const dry = await app.call('POST', `${S}/${created.body.id}/rotate?dry_run=true`);
    expect(dry.body).toMatchObject({ ready: true, rotator: 'ssh_key' });
  });

  it('refuses ssh_key on other types and with fields of other rotators', async () => {
    const onApiKey = await app.call('POST', `${S}/`, { body: { name: `k_${++n}`, secret_type: 'API_KEY', rotator: { kind: 'ssh_key' } } });
    expect(onApiKey.status).toBe(400);
    expect(onApiKey.body.message).toMatch(/ssh_key rotator applies to SERVICE_ACCOUNT_KEY/);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ kind: 'ssh_key', host: '127.0.0.1' }, /host is not a setting of the ssh_key rotator/],
      [{ kind: 'ssh_key', publish_url: holder.url }, /publish_url and admin_secret_id .* go together/],
      [publishing({ publish_url: holder.url.replace('https:', 'http:') }), /must be https/],
      [publishing({ publish_url: holder.url.replace('127.0.0.1', '127.0.0.2') }), /not on ROTATOR_ALLOWED_HOSTS/],
    ];
    for (const [rotator, message] of cases) {
      const res = await create(rotator);
      expect(res.status, JSON.stringify(rotator)).toBe(400);
      expect(res.body.message).toMatch(message);
    }
  });
});
