/**
 * The Vault double against the contract rows of shared/vault-kv2-contract.md, through node-vault
 * (as the app talks to it) and raw fetch (to see statuses, headers and bodies exactly).
 */
import vault from 'node-vault';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startVaultDouble, type VaultDouble } from './vault-double.js';

type ApiError = Error & { response?: { statusCode: number; body: unknown } };

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected a rejection');
}

describe('Vault double', () => {
  let double: VaultDouble;
  let client: vault.client;
  let seq = 0;
  const key = () => `app/k${++seq}`;

  const raw = (method: string, path: string, init: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {}) =>
    fetch(`${double.url}/v1/${path}`, {
      method,
      headers: {
        ...(init.token === null ? {} : { 'X-Vault-Token': init.token ?? double.rootToken }),
        ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
      redirect: 'manual',
    });

  beforeAll(async () => {
    double = await startVaultDouble();
    client = vault({ endpoint: double.url, token: double.rootToken });
  });

  afterAll(async () => {
    await double.close();
  });

  beforeEach(() => {
    double.unseal();
    double.setInitialized(true);
    double.setStandby(false);
    double.clearFaults();
  });

  describe('wire conventions', () => {
    it('wraps results in the /v1 envelope with Cache-Control: no-store', async () => {
      const k = key();
      const res = await raw('POST', `kv/data/${k}`, { body: { data: { a: '1' } } });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-type')).toBe('application/json');
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual([
        'request_id',
        'lease_id',
        'renewable',
        'lease_duration',
        'data',
        'wrap_info',
        'warnings',
        'auth',
        'mount_type',
      ]);
      expect(body).toMatchObject({ lease_id: '', renewable: false, lease_duration: 0, wrap_info: null, warnings: null, auth: null, mount_type: 'kv' });
      expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.data).toEqual({
        created_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/),
        custom_metadata: null,
        deletion_time: '',
        destroyed: false,
        version: 1,
      });
    });

    it('reads through node-vault with the secret at data.data and the version at data.metadata.version', async () => {
      const k = key();
      await client.write(`kv/data/${k}`, { data: { b: 2, a: 'x' } });
      await client.write(`kv/data/${k}`, { data: { a: 'y' } });
      const latest = await client.read(`kv/data/${k}`);
      expect(latest.data.data).toEqual({ a: 'y' });
      expect(latest.data.metadata.version).toBe(2);
      const first = await client.read(`kv/data/${k}?version=1`);
      expect(first.data.data).toEqual({ a: 'x', b: 2 });
      expect(first.data.metadata).toMatchObject({ version: 1, destroyed: false, deletion_time: '', custom_metadata: null });
    });

    it('answers errors as {"errors":[…]} with no-store, and 204 writes as an empty string in node-vault', async () => {
      const res = await raw('POST', `kv/data/${key()}`, { body: 'not json' });
      expect(res.status).toBe(400);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ errors: ['error parsing JSON'] });
      await expect(client.write(`kv/metadata/${key()}`, { max_versions: 3 })).resolves.toBe('');
    });

    it('warns about unrecognized parameters on responses with a body only', async () => {
      const k = key();
      const write = await client.write(`kv/data/${k}`, { data: { a: '1' }, zeta: 1, alpha: 2 });
      expect(write.warnings).toEqual(['Endpoint ignored these unrecognized parameters: [alpha zeta]']);
      const read = await client.read(`kv/data/${k}?list=false`);
      expect(read.warnings).toEqual(['Endpoint ignored these unrecognized parameters: [list]']);
      await expect(client.write(`kv/metadata/${k}`, { max_versions: 2, bogus: true })).resolves.toBe('');
    });

    it('rejects writes to a path ending in / and unknown methods', async () => {
      const res = await raw('POST', 'kv/data/folder/', { body: { data: {} } });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ errors: ["cannot write to a path ending in '/'"] });
      const options = await raw('OPTIONS', 'kv/data/x');
      expect(options.status).toBe(405);
      expect(await options.json()).toEqual({ errors: [] });
    });

    it('redirects unclean paths like Go’s ServeMux, so a leading / turns node-vault’s write into a read', async () => {
      const k = key();
      await client.write(`kv/data/${k}`, { data: { v: 'original' } });
      const res = await raw('POST', `/kv/data/${k}`, { body: { data: { v: 'lost' } } });
      expect(res.status).toBe(301);
      expect(res.headers.get('location')).toBe(`/v1/kv/data/${k}`);
      const viaNodeVault = await client.write(`/kv/data/${k}`, { data: { v: 'lost' } });
      expect(viaNodeVault.data.data).toEqual({ v: 'original' });
      expect(double.rawVersions('kv', k)).toHaveLength(1);
    });

    it('answers unknown mounts with "no handler for route"', async () => {
      const err = await rejection(client.read('nope/data/x'));
      expect(err.response?.statusCode).toBe(404);
      expect(err.message).toBe('no handler for route "nope/data/x". route entry not found.');
    });
  });

  describe('authentication', () => {
    it('403 "permission denied" without a token', async () => {
      const res = await raw('GET', `kv/data/${key()}`, { token: null });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ errors: ['permission denied'] });
    });

    it('403 with the 2-errors message for an unknown token, also through node-vault', async () => {
      const stranger = vault({ endpoint: double.url, token: 'not-a-token' });
      const err = await rejection(stranger.read(`kv/data/${key()}`));
      expect(err.response?.statusCode).toBe(403);
      expect(err.message).toBe('2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n');
      expect(err.constructor.name).toBe('ApiResponseError');
    });

    it('403 with the 1-error message when the policy denies the path; Bearer works too', async () => {
      double.addToken('limited', { paths: ['kv/data/ytempire/*'] });
      const limited = vault({ endpoint: double.url, token: 'limited' });
      await limited.write('kv/data/ytempire/x', { data: { a: '1' } });
      const err = await rejection(limited.read('kv/metadata/ytempire/x'));
      expect(err.response?.statusCode).toBe(403);
      expect(err.message).toBe('1 error occurred:\n\t* permission denied\n\n');
      const bearer = await fetch(`${double.url}/v1/kv/data/ytempire/x`, { headers: { Authorization: 'Bearer limited' } });
      expect(bearer.status).toBe(200);
      await expect(limited.tokenLookupSelf()).resolves.toMatchObject({ data: { policies: ['default'] } });
    });

    it('expires tokens after their TTL and revokes them on demand', async () => {
      double.addToken('short', { ttl: 1 });
      double.addToken('gone');
      double.revokeToken('gone');
      expect(double.hasToken('short')).toBe(true);
      expect(double.hasToken('gone')).toBe(false);
      await new Promise((r) => setTimeout(r, 1100));
      const err = await rejection(vault({ endpoint: double.url, token: 'short' }).read(`kv/data/${key()}`));
      expect(err.message).toContain('invalid token');
    });

    it('looks up the root token like the dev server', async () => {
      const res = await client.tokenLookupSelf();
      expect(res.data).toMatchObject({ policies: ['root'], ttl: 0, renewable: false, expire_time: null, id: double.rootToken, type: 'service' });
      expect(res.mount_type).toBe('token');
    });

    it('renews a renewable token and refuses a non-renewable one', async () => {
      double.addToken('renewable', { ttl: 60 });
      const renewable = vault({ endpoint: double.url, token: 'renewable' });
      const res = await renewable.tokenRenewSelf();
      expect(res.auth).toMatchObject({ client_token: 'renewable', lease_duration: 60, renewable: true, token_type: 'service' });
      const err = await rejection(client.tokenRenewSelf());
      expect(err.response?.statusCode).toBe(400);
      expect(err.message).toBe('lease not found or lease is not renewable');
    });

    it('logs in with AppRole and issues a renewable token', async () => {
      double.addAppRole('role-1', 'secret-1', { paths: ['kv/'], ttl: 120, roleName: 'strongroom' });
      const c = vault({ endpoint: double.url });
      const res = await c.approleLogin({ role_id: 'role-1', secret_id: 'secret-1' });
      expect(res.data).toBeNull();
      expect(res.mount_type).toBe('approle');
      expect(res.auth).toMatchObject({
        lease_duration: 120,
        renewable: true,
        token_type: 'service',
        orphan: true,
        metadata: { role_name: 'strongroom' },
        mfa_requirement: null,
        num_uses: 0,
      });
      expect(res.auth.client_token).toMatch(/^hvs\./);
      expect(c.token).toBe(res.auth.client_token);
      await expect(c.read('kv/metadata/')).rejects.toMatchObject({ response: { statusCode: 404 } });
    });

    it('answers AppRole login errors with the exact messages', async () => {
      double.addAppRole('role-2', 'secret-2');
      const login = (body: unknown) => raw('POST', 'auth/approle/login', { body, token: null }).then(async (r) => [r.status, await r.json()]);
      expect(await login({ secret_id: 'secret-2' })).toEqual([400, { errors: ['missing role_id'] }]);
      expect(await login({ role_id: 'role-2' })).toEqual([400, { errors: ['missing secret_id'] }]);
      expect(await login({ role_id: 'role-2', secret_id: 'wrong' })).toEqual([400, { errors: ['invalid role or secret ID'] }]);
      expect(await login({ role_id: 'nobody', secret_id: 'secret-2' })).toEqual([400, { errors: ['invalid role or secret ID'] }]);
    });
  });

  describe('sealed Vault', () => {
    it('answers 503 "Vault is sealed" to everything but sys/health and sys/seal-status', async () => {
      double.seal();
      const err = await rejection(client.read(`kv/data/${key()}`));
      expect(err.response?.statusCode).toBe(503);
      expect(err.message).toBe('Vault is sealed');
      const noToken = await raw('GET', 'sys/mounts', { token: null });
      expect(noToken.status).toBe(503);
      expect(await noToken.json()).toEqual({ errors: ['Vault is sealed'] });
      await expect(client.status()).resolves.toMatchObject({ sealed: true, initialized: true, type: 'shamir' });
      await expect(client.health()).resolves.toMatchObject({ sealed: true, standby: true });
      const unseal = await raw('PUT', 'sys/unseal', { body: { key: 'unseal-key' }, token: null });
      expect(unseal.status).toBe(200);
      expect(double.sealed).toBe(false);
    });
  });

  describe('sys/health', () => {
    const status = async (query = '') => {
      const res = await fetch(`${double.url}/v1/sys/health${query}`);
      return [res.status, res.status === 400 ? await res.json() : ((await res.json()) as Record<string, unknown>)] as const;
    };

    it('answers 200 when active, with the documented body', async () => {
      const [code, body] = await status();
      expect(code).toBe(200);
      expect(body).toMatchObject({
        initialized: true,
        sealed: false,
        standby: false,
        performance_standby: false,
        replication_performance_mode: 'disabled',
        replication_dr_mode: 'disabled',
        version: '1.20.0',
        enterprise: false,
        cluster_name: expect.stringMatching(/^vault-cluster-/),
      });
    });

    it('answers 503 sealed (without cluster fields), 501 uninitialised, 429/473 standby, with query overrides', async () => {
      double.seal();
      const [sealedCode, sealedBody] = await status();
      expect(sealedCode).toBe(503);
      expect(sealedBody).toMatchObject({ sealed: true, standby: true, replication_dr_mode: 'unknown' });
      expect(sealedBody).not.toHaveProperty('cluster_name');
      expect((await status('?sealedcode=200'))[0]).toBe(200);
      double.setInitialized(false);
      expect((await status())[0]).toBe(501);
      expect((await status('?uninitcode=299'))[0]).toBe(299);
      double.setInitialized(true);
      double.unseal();
      double.setStandby('standby');
      expect((await status())[0]).toBe(429);
      expect((await status('?standbyok=true'))[0]).toBe(200);
      expect((await status('?standbyok='))[0]).toBe(429);
      expect((await status('?standbycode=200'))[0]).toBe(200);
      double.setStandby('perfstandby');
      expect((await status())[0]).toBe(473);
      expect((await status('?perfstandbyok=true'))[0]).toBe(200);
    });

    it('answers 400 {"errors":[]} to a bad parameter, and HEAD without a body', async () => {
      expect(await status('?standbyok=yes')).toEqual([400, { errors: [] }]);
      expect(await status('?activecode=abc')).toEqual([400, { errors: [] }]);
      const head = await fetch(`${double.url}/v1/sys/health`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    });

    it('resolves node-vault health() for every status', async () => {
      double.seal();
      await expect(client.health()).resolves.toMatchObject({ sealed: true });
      double.unseal();
      double.setStandby('standby');
      await expect(client.health()).resolves.toMatchObject({ standby: true, sealed: false });
    });
  });

  describe('KV v2 writes and check-and-set', () => {
    it('enforces options.cas with the exact messages', async () => {
      const k = key();
      await client.write(`kv/data/${k}`, { data: { v: '1' }, options: { cas: 0 } });
      const mismatch = await rejection(client.write(`kv/data/${k}`, { data: { v: '2' }, options: { cas: 0 } }));
      expect(mismatch.response?.statusCode).toBe(400);
      expect(mismatch.message).toBe('check-and-set parameter did not match the current version');
      const parse = await rejection(client.write(`kv/data/${k}`, { data: { v: '2' }, options: { cas: 'x' } }));
      expect(parse.message).toBe('error parsing check-and-set parameter');
      await client.write(`kv/data/${k}`, { data: { v: '2' }, options: { cas: '1' } });
      const noData = await rejection(client.write(`kv/data/${k}`, { options: { cas: 2 } }));
      expect(noData.message).toBe('no data provided');
      expect(double.rawVersions('kv', k).map((v) => v.data)).toEqual([{ v: '1' }, { v: '2' }]);
    });

    it('requires cas when cas_required is set on the key or the mount', async () => {
      const k = key();
      await client.write(`kv/metadata/${k}`, { cas_required: true });
      const err = await rejection(client.write(`kv/data/${k}`, { data: { v: '1' } }));
      expect(err.message).toBe('check-and-set parameter required for this call');
      await client.write(`kv/data/${k}`, { data: { v: '1' }, options: { cas: 0 } });

      await client.write('kv/config', { cas_required: true });
      try {
        const other = key();
        expect((await rejection(client.write(`kv/data/${other}`, { data: {} }))).message).toBe(
          'check-and-set parameter required for this call',
        );
        const warned = await client.write(`kv/metadata/${other}`, { cas_required: false });
        expect(warned.warnings).toEqual(['"cas_required" set to false, but is mandated by backend config. This value will be ignored.']);
      } finally {
        await client.write('kv/config', { cas_required: false });
      }
      await expect(client.read('kv/config')).resolves.toMatchObject({
        data: { cas_required: false, delete_version_after: '0s', max_versions: 0 },
      });
    });

    it('PATCHes with merge-patch only, as a new version', async () => {
      const k = key();
      await client.write(`kv/data/${k}`, { data: { a: '1', b: '2' } });
      const res = await client.update(`kv/data/${k}`, { data: { b: null, c: '3' } });
      expect(res.data.version).toBe(2);
      expect((await client.read(`kv/data/${k}`)).data.data).toEqual({ a: '1', c: '3' });
      const wrongType = await raw('PATCH', `kv/data/${k}`, { body: { data: { d: '4' } } });
      expect(wrongType.status).toBe(415);
      expect(await wrongType.json()).toEqual({
        errors: ['PATCH requires Content-Type of application/merge-patch+json, provided application/json'],
      });
      const missing = await rejection(client.update(`kv/data/${key()}`, { data: { a: '1' } }));
      expect(missing.response?.statusCode).toBe(404);
      expect(missing.message).toBe('Status 404');
    });

    it('keeps max_versions versions and reports oldest_version', async () => {
      const k = key();
      await client.write(`kv/metadata/${k}`, { max_versions: 3 });
      for (let i = 1; i <= 5; i++) await client.write(`kv/data/${k}`, { data: { i } });
      const meta = await client.read(`kv/metadata/${k}`);
      expect(meta.data).toMatchObject({ current_version: 5, oldest_version: 3, max_versions: 3 });
      expect(Object.keys(meta.data.versions).sort()).toEqual(['3', '4', '5']);
      await expect(client.read(`kv/data/${k}?version=2`)).rejects.toMatchObject({ response: { statusCode: 404, body: { errors: [] } } });

      const fresh = key();
      for (let i = 1; i <= 9; i++) await client.write(`kv/data/${fresh}`, { data: { i } });
      expect((await client.read(`kv/metadata/${fresh}`)).data.oldest_version).toBe(0);
    });

    it('keeps 10 versions by default, and max(key, mount) when either is set', async () => {
      const k = key();
      for (let i = 1; i <= 11; i++) await client.write(`kv/data/${k}`, { data: { i } });
      expect((await client.read(`kv/metadata/${k}`)).data).toMatchObject({ current_version: 11, oldest_version: 2, max_versions: 0 });
      await expect(client.read(`kv/data/${k}?version=1`)).rejects.toMatchObject({ response: { statusCode: 404, body: { errors: [] } } });

      await client.write('kv/config', { max_versions: 4 });
      try {
        const low = key();
        await client.write(`kv/metadata/${low}`, { max_versions: 2 });
        for (let i = 1; i <= 6; i++) await client.write(`kv/data/${low}`, { data: { i } });
        expect((await client.read(`kv/metadata/${low}`)).data.oldest_version).toBe(3);
      } finally {
        await client.write('kv/config', { max_versions: 0 });
      }
    });
  });

  describe('KV v2 deletes, destroys and the 404 bodies', () => {
    it('soft-deletes the latest version: 404 with the full envelope and no errors key', async () => {
      const k = key();
      await client.write(`kv/data/${k}`, { data: { v: '1' } });
      await client.write(`kv/data/${k}`, { data: { v: '2' } });
      await expect(client.delete(`kv/data/${k}`)).resolves.toBe('');
      const res = await raw('GET', `kv/data/${k}`);
      expect(res.status).toBe(404);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).not.toHaveProperty('errors');
      expect(body).toMatchObject({ lease_id: '', data: { data: null, metadata: { version: 2, destroyed: false } }, mount_type: '' });
      expect((body.data as { metadata: { deletion_time: string } }).metadata.deletion_time).not.toBe('');
      const err = await rejection(client.read(`kv/data/${k}`));
      expect(err.message).toBe('Status 404');
      expect((await client.read(`kv/data/${k}?version=1`)).data.data).toEqual({ v: '1' });
      await client.write(`kv/undelete/${k}`, { versions: [2] });
      expect((await client.read(`kv/data/${k}`)).data.data).toEqual({ v: '2' });
    });

    it('deletes and destroys given versions; destroyed versions read 404 with destroyed:true', async () => {
      const k = key();
      for (let i = 1; i <= 3; i++) await client.write(`kv/data/${k}`, { data: { i } });
      await client.write(`kv/delete/${k}`, { versions: '1' });
      await client.write(`kv/destroy/${k}`, { versions: [2] });
      const destroyed = await rejection(client.read(`kv/data/${k}?version=2`));
      expect(destroyed.response?.body).toMatchObject({ data: { data: null, metadata: { version: 2, destroyed: true } } });
      expect(double.rawVersions('kv', k).map((v) => [v.version, v.data, v.destroyed, v.deletionTime !== ''])).toEqual([
        [1, { i: 1 }, false, true],
        [2, null, true, false],
        [3, { i: 3 }, false, false],
      ]);
      expect((await rejection(client.write(`kv/destroy/${k}`, { versions: [] }))).message).toBe('no version number provided');
      expect((await rejection(client.write(`kv/delete/${k}`, {}))).message).toBe('No version number provided');
      expect((await rejection(client.write(`kv/undelete/${k}`, {}))).message).toBe('No version number provided');
    });

    it('shows the mustache trap: destroySecretVersions with "=" in the path destroys nothing', async () => {
      const k = `a=b${++seq}`;
      await client.write(`kv/data/${k}`, { data: { v: '1' } });
      double.requests.length = 0;
      await expect(client.destroySecretVersions({ mount_point: 'kv', path: k, versions: [1] })).resolves.toBe('');
      expect(double.requests[0]).toMatchObject({ method: 'POST', path: 'kv/destroy/a&' });
      expect(double.rawVersions('kv', k)[0].destroyed).toBe(false);
    });

    it('deletes metadata with every version', async () => {
      const k = key();
      await client.write(`kv/data/${k}`, { data: { v: '1' } });
      await client.delete(`kv/metadata/${k}`);
      await expect(client.read(`kv/data/${k}`)).rejects.toMatchObject({ response: { statusCode: 404, body: { errors: [] } } });
      await expect(client.read(`kv/metadata/${k}`)).rejects.toMatchObject({ response: { statusCode: 404 } });
      await expect(client.delete(`kv/metadata/${k}`)).resolves.toBe('');
      expect(double.rawVersions('kv', k)).toEqual([]);
    });
  });

  describe('KV v2 metadata and lists', () => {
    it('lists immediate children via LIST and via GET ?list=true, sorted, folders with /', async () => {
      await client.write('kv/data/tree/b', { data: { v: 1 } });
      await client.write('kv/data/tree/a/deep', { data: { v: 1 } });
      await client.write('kv/metadata/tree/c', { max_versions: 1 });
      const listed = await client.list('kv/metadata/tree');
      expect(listed.data.keys).toEqual(['a/', 'b', 'c']);
      const viaGet = await raw('GET', 'kv/metadata/tree/?list=true');
      expect(((await viaGet.json()) as { data: { keys: string[] } }).data.keys).toEqual(['a/', 'b', 'c']);
      const noVerbs = vault({ endpoint: double.url, token: double.rootToken, noCustomHTTPVerbs: true });
      expect((await noVerbs.list('kv/metadata/tree/')).data.keys).toEqual(['a/', 'b', 'c']);
      await client.delete('kv/data/tree/b');
      expect((await raw('LIST', 'kv/metadata/tree?exclude_deleted=true').then((r) => r.json())) as unknown).toMatchObject({
        data: { keys: ['a/', 'c'] },
      });
    });

    it('answers an empty LIST with 404 {"errors":[]}, and a bad list value with 400', async () => {
      const res = await raw('LIST', 'kv/metadata/empty-folder/');
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ errors: [] });
      const err = await rejection(client.list('kv/metadata/empty-folder'));
      expect(err.message).toBe('Status 404');
      const bad = await raw('GET', 'kv/metadata/x?list=maybe');
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ errors: [] });
    });

    it('stores custom_metadata (coerced to strings) and validates it with the exact message', async () => {
      const k = key();
      await client.write(`kv/metadata/${k}`, { custom_metadata: { owner: 'ops', flag: true, n: 3 } });
      const meta = await client.read(`kv/metadata/${k}`);
      expect(meta.data).toMatchObject({
        custom_metadata: { owner: 'ops', flag: '1', n: '3' },
        current_version: 0,
        delete_version_after: '0s',
        versions: {},
      });
      const write = await client.write(`kv/data/${k}`, { data: { v: '1' } });
      expect(write.data.custom_metadata).toEqual({ owner: 'ops', flag: '1', n: '3' });
      const err = await rejection(client.write(`kv/metadata/${k}`, { custom_metadata: { k: '' } }));
      expect(err.response?.statusCode).toBe(400);
      expect(err.message).toBe(
        '1 error occurred:\n\t* custom_metadata validation failed: length of value for key "k" is 0 but must be 0 < len(value) <= 512\n\n',
      );
      const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
      expect((await rejection(client.write(`kv/metadata/${k}`, { custom_metadata: many }))).message).toBe(
        '1 error occurred:\n\t* custom_metadata validation failed: payload must contain at most 64 keys, provided 65\n\n',
      );
      const two = await rejection(client.write(`kv/metadata/${k}`, { custom_metadata: { ['x'.repeat(129)]: 'v'.repeat(513) } }));
      expect(two.message).toMatch(/^2 errors occurred:\n\t\* custom_metadata validation failed: length of key "x+" is 129 but must be 0 < len\(key\) <= 128\n\t\* .*is 513 but must be 0 < len\(value\) <= 512\n\n$/);
      await client.update(`kv/metadata/${k}`, { custom_metadata: { flag: null, extra: 'yes' } });
      expect((await client.read(`kv/metadata/${k}`)).data.custom_metadata).toEqual({ owner: 'ops', n: '3', extra: 'yes' });
    });

    it('answers KV-v1-style and root paths with 404 warnings and 405 for reads of delete/destroy', async () => {
      const v1Style = await raw('GET', 'kv/some/secret');
      expect(v1Style.status).toBe(404);
      const body = (await v1Style.json()) as Record<string, unknown>;
      expect(body).not.toHaveProperty('errors');
      expect(body.warnings).toEqual([
        "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.",
      ]);
      const listData = (await (await raw('LIST', 'kv/data/x')).json()) as { warnings: string[] };
      expect(listData.warnings[0]).toContain("use 'vault kv list'");
      const root = (await (await raw('GET', 'kv/metadata')).json()) as { warnings: string[] };
      expect(root.warnings).toEqual(['Non-listing operations on the root of a K/V v2 mount are not supported.']);
      const get405 = await raw('GET', 'kv/destroy/x');
      expect(get405.status).toBe(405);
      expect(await get405.json()).toEqual({ errors: ['1 error occurred:\n\t* unsupported operation\n\n'] });
    });
  });

  describe('sys/mounts', () => {
    it('lists mounts with data copied to the top level', async () => {
      const res = await client.mounts();
      expect(res.data['kv/']).toMatchObject({ type: 'kv', options: { version: '2' } });
      expect(res['kv/']).toEqual(res.data['kv/']);
      expect(res.data['sys/']).toMatchObject({ type: 'system' });
      expect(res.mount_type).toBe('system');
    });

    it('mounts KV v2 (node-vault sends mount_point in the body), refuses a used path, unmounts', async () => {
      await expect(client.mount({ mount_point: 'team-kv', type: 'kv', options: { version: '2' } })).resolves.toBe('');
      await client.write('team-kv/data/x', { data: { v: '1' } });
      expect((await client.read('team-kv/data/x')).data.data).toEqual({ v: '1' });
      const used = await rejection(client.mount({ mount_point: 'team-kv', type: 'kv-v2' }));
      expect(used.message).toBe('path is already in use at team-kv/');
      expect((await rejection(client.mount({ mount_point: 'other' }))).message).toBe('backend type must be specified as a string');
      await expect(client.unmount({ mount_point: 'team-kv' })).resolves.toBe('');
      expect((await rejection(client.read('team-kv/data/x'))).message).toContain('no handler for route');
    });

    it('mounts KV v1 when no version is given', async () => {
      await client.mount({ mount_point: 'legacy', type: 'kv' });
      await client.write('legacy/app', { a: '1' });
      expect((await client.read('legacy/app')).data).toEqual({ a: '1' });
      expect((await client.list('legacy/')).data.keys).toEqual(['app']);
    });

    it('can answer the "upgrading" 400 just after a KV v2 mount', async () => {
      const upgrading = await startVaultDouble({ premountKv: false, upgradeWindowMs: 200 });
      try {
        const c = vault({ endpoint: upgrading.url, token: upgrading.rootToken });
        await c.mount({ mount_point: 'kv', type: 'kv-v2' });
        expect((await rejection(c.read('kv/data/x'))).message).toMatch(/^Upgrading from non-versioned to versioned data/);
        await new Promise((r) => setTimeout(r, 250));
        await expect(c.read('kv/data/x')).rejects.toMatchObject({ response: { statusCode: 404 } });
      } finally {
        await upgrading.close();
      }
    });
  });

  describe('test controls', () => {
    it('records requests with method, path, query, token and body', async () => {
      double.requests.length = 0;
      await client.write('kv/data/logged', { data: { v: '1' }, options: { cas: 0 } }).catch(() => undefined);
      await client.list('kv/metadata/').catch(() => undefined);
      expect(double.requests).toMatchObject([
        { method: 'POST', path: 'kv/data/logged', token: double.rootToken, body: { data: { v: '1' }, options: { cas: 0 } }, status: expect.any(Number) },
        { method: 'LIST', path: 'kv/metadata/', status: 200 },
      ]);
    });

    it('injects failures, dropped connections and delays', async () => {
      double.failNext(1, 500, { message: 'boom' });
      expect((await rejection(client.read('kv/metadata/'))).message).toBe('boom');
      double.failNext(1, 'reset', { path: 'kv/' });
      const reset = await rejection(client.read('kv/data/x'));
      expect(reset.response).toBeUndefined();
      expect((reset as Error & { code?: string }).code).toMatch(/ECONNRESET|ERR_NETWORK|ECONNABORTED/);
      double.delayNext(1, 300);
      const slow = vault({ endpoint: double.url, token: double.rootToken, requestOptions: { timeout: 50 } });
      expect((await rejection(slow.read('kv/data/x')) as Error & { code?: string }).code).toBe('ECONNABORTED');
    });

    it('expires tokens, lists the tokens an AppRole login issued, and carries out writes it answers late', async () => {
      double.addAppRole('ctl-role', 'ctl-secret');
      const app = vault({ endpoint: double.url });
      await app.approleLogin({ role_id: 'ctl-role', secret_id: 'ctl-secret' });
      expect(double.tokensOf('ctl-role')).toEqual([app.token]);
      double.expireToken(app.token);
      expect(double.tokensOf('ctl-role')).toEqual([]);
      const expired = await rejection(app.tokenLookupSelf());
      expect(expired.response?.statusCode).toBe(403);
      expect(expired.message).toBe('2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n');

      const k = key();
      double.delayAnswerNext(1, 300, { path: `kv/data/${k}` });
      const slow = vault({ endpoint: double.url, token: double.rootToken, requestOptions: { timeout: 50 } });
      expect(((await rejection(slow.write(`kv/data/${k}`, { data: { v: 'landed' } }))) as Error & { code?: string }).code).toBe('ECONNABORTED');
      expect(double.rawVersions('kv', k).map((v) => v.data)).toEqual([{ v: 'landed' }]);
    });

    it('exposes and overwrites stored versions', async () => {
      const k = key();
      await client.write(`kv/data/${k}`, { data: { v: 'real' } });
      double.setVersionData('kv', k, 1, { v: 'tampered' });
      expect((await client.read(`kv/data/${k}`)).data.data).toEqual({ v: 'tampered' });
      expect(double.rawMetadata('kv', k)).toMatchObject({ currentVersion: 1, oldestVersion: 0 });
    });
  });
});
