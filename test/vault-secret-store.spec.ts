import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type PutMeta,
  StoreConflictError,
  StoreNotFoundError,
  StorePrunedError,
  StoreUnavailableError,
} from '../src/secrets/store/secret-store.port.js';
import { VaultSecretStore } from '../src/secrets/store/vault-secret-store.js';
import { VaultConnection, type VaultLogger, type VaultSettings } from '../src/vault/vault-client.js';
import { describeSecretStoreContract } from './support/secret-store-contract.js';
import { startVaultDouble, type VaultDouble } from './support/vault-double.js';

const tx = undefined as never;
const newId = () => `sec_${randomBytes(12).toString('base64url')}`;
const meta = (expectedStoreVersion: number, extra: Partial<PutMeta> = {}): PutMeta => ({
  secretType: 'database_password',
  tags: { env: 'prod', team: 'payments' },
  expectedStoreVersion,
  ...extra,
});

class MemoryLogger implements VaultLogger {
  readonly lines: string[] = [];
  log(m: string): void {
    this.lines.push(`log ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error ${m}`);
  }
}

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** Everything an error exposes: message, string form, own enumerable properties. */
function exposed(err: Error): string {
  return [err.message, String(err), err.stack ?? '', JSON.stringify(err)].join('\n');
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let double: VaultDouble;
const connections: VaultConnection[] = [];

function connect(settings: Partial<VaultSettings> = {}, logger = new MemoryLogger()): VaultConnection {
  const connection = new VaultConnection(
    { url: double.url, token: double.rootToken, ...settings },
    { logger, retryMinMs: 50, retryMaxMs: 200 },
  );
  connections.push(connection);
  return connection;
}

beforeAll(async () => {
  double = await startVaultDouble();
});

afterAll(async () => {
  for (const c of connections) c.stop();
  await double.close();
});

describeSecretStoreContract('VaultSecretStore (Vault double)', async () => {
  const connection = connect();
  await connection.start();
  return { store: new VaultSecretStore(connection, { logger: new MemoryLogger() }), tx, cleanup: async () => connection.stop() };
});

describe('VaultSecretStore on Vault', () => {
  let store: VaultSecretStore;
  let logger: MemoryLogger;

  beforeEach(() => {
    double.unseal();
    double.clearFaults();
    logger = new MemoryLogger();
    store = new VaultSecretStore(connect(), { logger });
  });

  describe('layout', () => {
    it('writes { value } at kv/data/ytempire/secrets/<id> with check-and-set on every write', async () => {
      const id = newId();
      double.requests.length = 0;
      const v1 = await store.put(tx, id, 1, 'p1', meta(0));
      const v2 = await store.put(tx, id, 2, 'p2', meta(v1));
      const writes = double.requests.filter((r) => r.method === 'POST' && r.path.startsWith('kv/data/'));
      expect(writes.map((r) => [r.path, r.body])).toEqual([
        [`kv/data/ytempire/secrets/${id}`, { data: { value: 'p1' }, options: { cas: 0 } }],
        [`kv/data/ytempire/secrets/${id}`, { data: { value: 'p2' }, options: { cas: 1 } }],
      ]);
      expect(double.rawVersions('kv', `ytempire/secrets/${id}`).map((v) => v.data)).toEqual([{ value: 'p1' }, { value: 'p2' }]);
      expect(v2).toBe(2);
      // No path ever starts with a slash (Vault would 301 a POST into a GET).
      expect(double.requests.every((r) => !r.path.startsWith('/'))).toBe(true);
    });

    it('shows up in `vault kv list kv/ytempire/secrets/` (LIST kv/metadata/ytempire/secrets/)', async () => {
      const id = newId();
      await store.put(tx, id, 1, 'payload', meta(0));
      const res = await fetch(`${double.url}/v1/kv/metadata/ytempire/secrets/`, {
        method: 'LIST',
        headers: { 'X-Vault-Token': double.rootToken },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { keys: string[] } };
      expect(body.data.keys).toContain(id);
    });

    it('labels the key for `vault kv metadata get` with secret_type, strongroom_version and tags', async () => {
      const id = newId();
      const v1 = await store.put(tx, id, 1, 'payload', meta(0));
      await store.put(tx, id, 7, 'payload 2', meta(v1));
      const res = await fetch(`${double.url}/v1/kv/metadata/ytempire/secrets/${id}`, {
        headers: { 'X-Vault-Token': double.rootToken },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: Record<string, unknown> };
      expect(body.data.custom_metadata).toEqual({
        secret_type: 'database_password',
        strongroom_version: '7',
        'tag.env': 'prod',
        'tag.team': 'payments',
      });
      expect(body.data.current_version).toBe(2);
      expect(JSON.stringify(body)).not.toContain('payload');
    });

    it('skips tags that do not fit Vault’s custom_metadata limits', async () => {
      const id = newId();
      const tags: Record<string, string> = {
        app: 'yes',
        empty: '',
        [`long${'k'.repeat(130)}`]: 'v',
        big: 'v'.repeat(513),
        exact: 'v'.repeat(512),
        ctrl: 'bell\u0007',
      };
      for (let i = 0; i < 70; i++) tags[`n${String(i).padStart(2, '0')}`] = String(i);
      await store.put(tx, id, 1, 'payload', meta(0, { tags }));
      const cm = double.rawMetadata('kv', `ytempire/secrets/${id}`)?.customMetadata ?? {};
      // 64 keys at most: the two labels, then the tags that fit, in key order.
      const expected = ['secret_type', 'strongroom_version', 'tag.app', 'tag.exact'];
      for (let i = 0; i < 60; i++) expected.push(`tag.n${String(i).padStart(2, '0')}`);
      expect(Object.keys(cm).sort()).toEqual(expected.sort());
      expect(cm['tag.exact']).toBe('v'.repeat(512));
      expect(cm.strongroom_version).toBe('1');
      expect(logger.lines).toEqual([]);
    });

    it('uses another mount and prefix, including one created through sys/mounts', async () => {
      await connect().client.mount({ mount_point: 'team-secrets', type: 'kv', options: { version: '2' } });
      const other = new VaultSecretStore(connect(), { kvMount: '/team-secrets/', pathPrefix: 'apps/strongroom/' });
      const id = newId();
      const v1 = await other.put(tx, id, 1, 'elsewhere', meta(0));
      await expect(other.get(tx, id, v1)).resolves.toBe('elsewhere');
      expect(double.rawVersions('team-secrets', `apps/strongroom/${id}`)).toHaveLength(1);
      const noPrefix = new VaultSecretStore(connect(), { pathPrefix: '' });
      await noPrefix.put(tx, id, 1, 'top', meta(0));
      expect(double.rawVersions('kv', id)).toHaveLength(1);
      expect(() => new VaultSecretStore(connect(), { kvMount: '../sys' })).toThrow(/KV mount/);
      expect(() => new VaultSecretStore(connect(), { pathPrefix: 'a?b' })).toThrow(/path prefix/);
    });

    it('destroys with POST kv/destroy/… {versions} and purges with DELETE kv/metadata/…', async () => {
      const id = newId();
      const v1 = await store.put(tx, id, 1, 'one', meta(0));
      double.requests.length = 0;
      await store.destroy(tx, id, [v1, v1]);
      await store.purge(tx, id);
      expect(double.requests.map((r) => [r.method, r.path, r.body])).toEqual([
        ['POST', `kv/destroy/ytempire/secrets/${id}`, { versions: [v1] }],
        ['DELETE', `kv/metadata/ytempire/secrets/${id}`, undefined],
      ]);
    });
  });

  describe('ids and versions', () => {
    it('rejects ids that could change the path, before any request', async () => {
      double.requests.length = 0;
      for (const bad of ['', '../x', 'a/b', 'a=b', 'a?version=1', '/x', 'a b', 'a%2Fb', 'ü']) {
        await expect(store.put(tx, bad, 1, 'p', meta(0))).rejects.toBeInstanceOf(TypeError);
        await expect(store.get(tx, bad, 1)).rejects.toBeInstanceOf(TypeError);
        await expect(store.destroy(tx, bad, [1])).rejects.toBeInstanceOf(TypeError);
        await expect(store.purge(tx, bad)).rejects.toBeInstanceOf(TypeError);
        await expect(store.describe(tx, bad)).rejects.toBeInstanceOf(TypeError);
      }
      expect(double.requests).toEqual([]);
    });

    it('never reads "latest" by accident: version 0 or a non-integer is not found', async () => {
      const id = newId();
      await store.put(tx, id, 1, 'p', meta(0));
      double.requests.length = 0;
      await expect(store.get(tx, id, 0)).rejects.toBeInstanceOf(StoreNotFoundError);
      await expect(store.get(tx, id, 1.5)).rejects.toBeInstanceOf(StoreNotFoundError);
      expect(double.requests).toEqual([]);
    });

    it('treats soft-deleted versions as not found and describes them as deleted', async () => {
      const id = newId();
      const v1 = await store.put(tx, id, 1, 'one', meta(0));
      const v2 = await store.put(tx, id, 2, 'two', meta(v1));
      await connect().client.delete(`kv/data/ytempire/secrets/${id}`);
      const err = await caught(store.get(tx, id, v2));
      expect(err).toBeInstanceOf(StoreNotFoundError);
      expect(err.message).toContain('was deleted');
      await expect(store.get(tx, id, v1)).resolves.toBe('one');
      expect(await store.describe(tx, id)).toEqual({
        currentStoreVersion: v2,
        versions: [
          { storeVersion: v1, destroyed: false, deleted: false },
          { storeVersion: v2, destroyed: false, deleted: true },
        ],
      });
      // check-and-set still counts the deleted version as current.
      await expect(store.put(tx, id, 3, 'three', meta(v1))).rejects.toBeInstanceOf(StoreConflictError);
      await expect(store.put(tx, id, 3, 'three', meta(v2))).resolves.toBe(3);
    });

    it('says "was destroyed" for a destroyed version', async () => {
      const id = newId();
      const v1 = await store.put(tx, id, 1, 'one', meta(0));
      await store.destroy(tx, id, [v1]);
      expect((await caught(store.get(tx, id, v1))).message).toContain('was destroyed');
    });

    it('refuses a version whose data is not a Strongroom payload', async () => {
      const id = newId();
      const v1 = await store.put(tx, id, 1, 'one', meta(0));
      double.setVersionData('kv', `ytempire/secrets/${id}`, v1, { other: 'shape' });
      await expect(store.get(tx, id, v1)).rejects.toBeInstanceOf(StoreNotFoundError);
    });

    it('reports a metadata-only key as holding nothing', async () => {
      const id = newId();
      await connect().client.write(`kv/metadata/ytempire/secrets/${id}`, { max_versions: 5 });
      expect(await store.describe(tx, id)).toBeNull();
      await expect(store.put(tx, id, 1, 'first', meta(0))).resolves.toBe(1);
    });
  });

  describe('when Vault is not usable', () => {
    it('maps a bad token to StoreUnavailableError mentioning permission, without the token', async () => {
      const token = 'hvs.thisTokenIsNotKnownToVault0123';
      const bad = new VaultSecretStore(connect({ token }), { logger });
      for (const op of [
        bad.put(tx, newId(), 1, 'p', meta(0)),
        bad.get(tx, newId(), 1),
        bad.describe(tx, newId()),
        bad.destroy(tx, newId(), [1]),
        bad.purge(tx, newId()),
      ]) {
        const err = await caught(op);
        expect(err).toBeInstanceOf(StoreUnavailableError);
        expect(err.message).toBe(
          'Vault rejected the token (permission denied); VAULT_TOKEN is a static token, so Strongroom cannot log in again: replace it (or configure AppRole with VAULT_ROLE_ID and VAULT_SECRET_ID)',
        );
        expect(exposed(err)).not.toContain(token);
      }
    });

    it('maps a policy that denies the path to StoreUnavailableError mentioning permission', async () => {
      double.addToken('other-team', { paths: ['kv/data/other-team/'] });
      const err = await caught(new VaultSecretStore(connect({ token: 'other-team' })).put(tx, newId(), 1, 'p', meta(0)));
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(err.message).toMatch(/permission denied/);
    });

    it('stores the value under the spec’s data-only policy and logs that labels could not be written', async () => {
      double.addToken('spec-policy', { paths: ['kv/data/ytempire/*'] });
      const specStore = new VaultSecretStore(connect({ token: 'spec-policy' }), { logger });
      const id = newId();
      const v1 = await specStore.put(tx, id, 1, 'value', meta(0));
      await expect(specStore.get(tx, id, v1)).resolves.toBe('value');
      expect(logger.lines).toEqual([
        `warn could not label secret ${id} in Vault (its value is stored): Vault's policy for this token does not allow the request (permission denied)`,
      ]);
      await expect(specStore.describe(tx, id)).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    it('maps a sealed Vault to StoreUnavailableError "Vault is sealed", and health says so', async () => {
      const id = newId();
      const v1 = await store.put(tx, id, 1, 'p', meta(0));
      double.seal();
      const err = await caught(store.get(tx, id, v1));
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(err.message).toBe('Vault is sealed');
      await expect(store.put(tx, id, 2, 'p2', meta(v1))).rejects.toThrow('Vault is sealed');
      await expect(store.health()).resolves.toEqual({ up: false, detail: 'Vault is sealed' });
      double.unseal();
      await expect(store.health()).resolves.toEqual({ up: true });
      await expect(store.get(tx, id, v1)).resolves.toBe('p');
    });

    it('maps an unreachable Vault to StoreUnavailableError naming the address (without credentials)', async () => {
      const port = await unusedPort();
      const gone = new VaultSecretStore(connect({ url: `http://user:pw@127.0.0.1:${port}/` }));
      const err = await caught(gone.get(tx, newId(), 1));
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(err.message).toBe(`Vault is unreachable at http://127.0.0.1:${port} (ECONNREFUSED)`);
      const health = await gone.health();
      expect(health.up).toBe(false);
      expect(health.detail).toContain(`Vault is unreachable at http://127.0.0.1:${port}`);
    });

    it('maps 5xx, dropped connections and timeouts to StoreUnavailableError', async () => {
      double.failNext(1, 500, { message: 'internal error' });
      expect((await caught(store.get(tx, newId(), 1))).message).toBe('Vault is unavailable (HTTP 500: internal error)');
      double.failNext(1, 'reset');
      await expect(store.get(tx, newId(), 1)).rejects.toBeInstanceOf(StoreUnavailableError);
      const slow = new VaultSecretStore(connect({ requestTimeoutMs: 50 }));
      double.delayNext(1, 300);
      const err = await caught(slow.get(tx, newId(), 1));
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(err.message).toMatch(/^Vault is unreachable at .* \(no answer in time, ECONNABORTED\)$/);
    });

    it('reports a missing KV mount as unavailable, not as a missing secret', async () => {
      const wrong = new VaultSecretStore(connect(), { kvMount: 'not-mounted' });
      const err = await caught(wrong.get(tx, newId(), 1));
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(err.message).toContain('no handler for route');
    });

    it('never puts a payload or token into an error, whatever fails', async () => {
      const payload = `super-secret-payload-${randomBytes(8).toString('hex')}`;
      const id = newId();
      const v1 = await store.put(tx, id, 1, 'base', meta(0));
      const errors: Error[] = [];
      errors.push(await caught(store.put(tx, id, 2, payload, meta(0))));
      double.failNext(1, 500, { message: `echo of ${payload}`, path: 'kv/data/' });
      errors.push(await caught(store.put(tx, id, 2, payload, meta(v1))));
      double.failNext(1, 400, { message: `bad request about ${payload} and ${double.rootToken}xyz`, path: 'kv/data/' });
      errors.push(await caught(store.put(tx, id, 2, payload, meta(v1))));
      double.failNext(1, 'reset', { path: 'kv/data/' });
      errors.push(await caught(store.put(tx, id, 2, payload, meta(v1))));
      double.seal();
      errors.push(await caught(store.put(tx, id, 2, payload, meta(v1))));
      double.unseal();
      errors.push(await caught(new VaultSecretStore(connect({ token: 'wrong-token' })).put(tx, id, 2, payload, meta(v1))));

      expect(errors.map((e) => e.name)).toEqual([
        'StoreConflictError',
        'StoreUnavailableError',
        'StoreUnavailableError',
        'StoreUnavailableError',
        'StoreUnavailableError',
        'StoreUnavailableError',
      ]);
      for (const err of errors) {
        expect(exposed(err)).not.toContain(payload);
        expect(exposed(err)).not.toContain('wrong-token');
        expect(exposed(err)).not.toContain(`${double.rootToken}xyz`);
        expect(err).not.toHaveProperty('cause');
      }
      expect(logger.lines.join('\n')).not.toContain(payload);
    });
  });
});

describe('VaultConnection', () => {
  afterEach(() => {
    double.unseal();
    double.clearFaults();
  });

  it('needs a token or a complete AppRole, and a valid URL', () => {
    expect(() => new VaultConnection({ url: double.url })).toThrow(/token, or an AppRole/);
    expect(() => new VaultConnection({ url: double.url, roleId: 'r' })).toThrow(/token, or an AppRole/);
    expect(() => new VaultConnection({ url: 'not a url', token: 't' })).toThrow(/not a valid URL/);
    expect(() => new VaultConnection({ url: 'ftp://x', token: 't' })).toThrow(/http/);
    expect(new VaultConnection({ url: double.url, token: 't', roleId: 'r', secretId: 's' }).authMethod).toBe('approle');
  });

  it('ignores VAULT_TOKEN / VAULT_PREFIX from the environment', async () => {
    const saved = { token: process.env.VAULT_TOKEN, prefix: process.env.VAULT_PREFIX };
    process.env.VAULT_TOKEN = double.rootToken;
    process.env.VAULT_PREFIX = '/elsewhere';
    try {
      double.addAppRole('env-role', 'env-secret', { ttl: 60 });
      const c = connect({ token: undefined, roleId: 'env-role', secretId: 'env-secret' });
      double.requests.length = 0;
      expect(c.client.token).toBe('');
      await c.start();
      expect(double.requests[0]).toMatchObject({ path: 'auth/approle/login', token: undefined });
      c.stop();
    } finally {
      if (saved.token === undefined) delete process.env.VAULT_TOKEN;
      else process.env.VAULT_TOKEN = saved.token;
      if (saved.prefix === undefined) delete process.env.VAULT_PREFIX;
      else process.env.VAULT_PREFIX = saved.prefix;
    }
  });

  it('logs in with AppRole, renews at 2/3 of the lease, and stops renewing on stop()', async () => {
    double.addAppRole('renew-role', 'renew-secret', { paths: ['kv/'], ttl: 1 });
    const logger = new MemoryLogger();
    const c = connect({ token: undefined, roleId: 'renew-role', secretId: 'renew-secret' }, logger);
    await c.start();
    const token = c.client.token;
    expect(token).toMatch(/^hvs\./);
    const store = new VaultSecretStore(c);
    const id = newId();
    const v1 = await store.put(tx, id, 1, 'via approle', meta(0));

    double.requests.length = 0;
    const renewals = () => double.requests.filter((r) => r.path === 'auth/token/renew-self');
    await vi.waitFor(() => expect(renewals().length).toBeGreaterThanOrEqual(2), { timeout: 4000, interval: 50 });
    expect(renewals().every((r) => r.status === 200 && r.token === token)).toBe(true);
    // More than 1 s has passed since the login: without renewal the token would be gone.
    await expect(store.get(tx, id, v1)).resolves.toBe('via approle');

    c.stop();
    double.requests.length = 0;
    await new Promise((r) => setTimeout(r, 900));
    expect(double.requests).toEqual([]);
    expect(logger.lines.join('\n')).not.toContain(token);
  });

  it('logs in again when renewal fails', async () => {
    double.addAppRole('relogin-role', 'relogin-secret', { ttl: 60, maxTtl: 60 });
    const logger = new MemoryLogger();
    const c = connect({ token: undefined, roleId: 'relogin-role', secretId: 'relogin-secret' }, logger);
    await c.start();
    const first = c.client.token;
    double.revokeToken(first);
    await expect(c.renewNow()).resolves.toBe(true);
    const second = c.client.token;
    expect(second).not.toBe(first);
    expect(double.hasToken(second)).toBe(true);
    expect(logger.lines[0]).toBe('warn Vault token renewal failed: Vault rejected the token (permission denied)');
    expect(logger.lines.join('\n')).not.toMatch(/hvs\.|relogin-secret/);

    c.stop();
  });

  it('logs in again when renewals stop extending the lease (max TTL reached)', async () => {
    double.addAppRole('capped-role', 'capped-secret', { ttl: 2, maxTtl: 2 });
    const c = connect({ token: undefined, roleId: 'capped-role', secretId: 'capped-secret' });
    double.requests.length = 0;
    await c.start();
    const first = c.client.token;
    const logins = () => double.requests.filter((r) => r.path === 'auth/approle/login');
    // The double records the login request before the client has its answer: wait for the token too.
    await vi.waitFor(
      () => {
        expect(logins()).toHaveLength(2);
        expect(c.client.token).not.toBe(first);
      },
      { timeout: 5000, interval: 50 },
    );
    expect(double.requests.slice(0, 3).map((r) => r.path)).toEqual([
      'auth/approle/login',
      'auth/token/renew-self',
      'auth/approle/login',
    ]);
    expect(double.hasToken(c.client.token)).toBe(true);
    c.stop();
  });

  it('rejects a wrong AppRole secret without revealing it, and retries in the background', async () => {
    double.addAppRole('strict-role', 'right-secret');
    const logger = new MemoryLogger();
    const c = connect({ token: undefined, roleId: 'strict-role', secretId: 'wrong-secret' }, logger);
    const err = await caught(c.start());
    expect(err.name).toBe('VaultConnectionError');
    expect(err.message).toBe('Vault AppRole login failed: Vault refused the request (HTTP 400: invalid role or secret ID)');
    expect(exposed(err)).not.toContain('wrong-secret');
    double.requests.length = 0;
    await vi.waitFor(() => expect(double.requests.some((r) => r.path === 'auth/approle/login')).toBe(true), {
      timeout: 3000,
      interval: 20,
    });
    expect(logger.lines.join('\n')).not.toContain('wrong-secret');
    c.stop();
  });

  it('renews a renewable token given directly, and leaves a root token alone', async () => {
    double.addToken('service-token', { ttl: 1 });
    const c = connect({ token: 'service-token' });
    double.requests.length = 0;
    await c.start();
    await vi.waitFor(
      () => expect(double.requests.some((r) => r.path === 'auth/token/renew-self' && r.status === 200)).toBe(true),
      { timeout: 3000, interval: 20 },
    );
    expect(double.hasToken('service-token')).toBe(true);
    c.stop();

    const root = connect();
    double.requests.length = 0;
    await root.start();
    await root.renewNow();
    expect(double.requests.map((r) => [r.path, r.status])).toEqual([
      ['auth/token/lookup-self', 200],
      ['auth/token/renew-self', 400],
    ]);
    root.stop();
  });

  it('reports health from sys/health', async () => {
    const c = connect();
    await expect(c.health()).resolves.toEqual({ up: true, sealed: false });
    double.seal();
    await expect(c.health()).resolves.toEqual({ up: false, sealed: true, detail: 'Vault is sealed' });
    double.unseal();
    double.setInitialized(false);
    await expect(c.health()).resolves.toMatchObject({ up: false, detail: 'Vault is not initialized' });
    double.setInitialized(true);
    double.failNext(1, 502, { path: 'sys/health' });
    await expect(c.health()).resolves.toMatchObject({ up: false });
  });
});

describe('Vault hardening (issue 11)', () => {
  afterEach(() => {
    double.unseal();
    double.clearFaults();
  });

  it('AppRole: a revoked or expired token is replaced by one shared login and the call retried; a policy refusal is not', async () => {
    double.addAppRole('recover-role', 'recover-secret', { ttl: 3600, paths: ['kv/data/ytempire/*'] });
    const logger = new MemoryLogger();
    const c = connect({ token: undefined, roleId: 'recover-role', secretId: 'recover-secret' }, logger);
    await c.start();
    const store = new VaultSecretStore(c, { logger });
    const id = newId();
    const v1 = await store.put(tx, id, 1, 'kept', meta(0));
    const logins = () => double.requests.filter((r) => r.path === 'auth/approle/login');

    double.requests.length = 0;
    double.revokeToken(c.client.token);
    await expect(store.get(tx, id, v1)).resolves.toBe('kept');
    expect(logins()).toHaveLength(1);

    double.requests.length = 0;
    double.expireToken(c.client.token);
    const reads = await Promise.all(Array.from({ length: 5 }, () => store.get(tx, id, v1)));
    expect(reads).toEqual(['kept', 'kept', 'kept', 'kept', 'kept']);
    expect(logins()).toHaveLength(1);

    // The spec's data-only policy refuses the metadata label: that 403 is not a token problem.
    double.requests.length = 0;
    await store.put(tx, id, 2, 'labelled?', meta(v1));
    expect(logins()).toHaveLength(0);
    expect(logger.lines.join('\n')).not.toMatch(/hvs\.|recover-secret/);
    c.stop();
  });

  it('AppRole: when logging in again fails too, the error says so (without the secret id)', async () => {
    double.addAppRole('doomed-role', 'doomed-secret', { ttl: 3600 });
    const c = connect({ token: undefined, roleId: 'doomed-role', secretId: 'doomed-secret' });
    await c.start();
    double.addAppRole('doomed-role', 'rotated-elsewhere', { ttl: 3600 });
    double.revokeToken(c.client.token);
    const err = await caught(new VaultSecretStore(c).get(tx, newId(), 1));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toBe(
      'Vault rejected the token and logging in again with AppRole failed: Vault AppRole login failed: Vault refused the request (HTTP 400: invalid role or secret ID)',
    );
    expect(exposed(err)).not.toContain('doomed-secret');
    c.stop();
  });

  it('AppRole: after a failed login, requests do not log in again until the back-off passed', async () => {
    double.addAppRole('storm-role', 'storm-secret', { ttl: 3600 });
    const c = new VaultConnection(
      { url: double.url, roleId: 'storm-role', secretId: 'storm-secret' },
      { logger: new MemoryLogger(), retryMinMs: 60_000, retryMaxMs: 60_000 },
    );
    connections.push(c);
    await c.start();
    double.addAppRole('storm-role', 'rotated-secret', { ttl: 3600 });
    double.revokeToken(c.client.token);
    const store = new VaultSecretStore(c);
    double.requests.length = 0;
    for (let i = 0; i < 4; i++) await expect(store.get(tx, newId(), 1)).rejects.toThrow(/logging in again with AppRole failed/);
    expect(double.requests.filter((r) => r.path === 'auth/approle/login')).toHaveLength(1);
    c.stop();
  });

  it('health checks an authenticated call: a revoked static token is down, with what to do', async () => {
    double.addToken('static-health', { policies: ['strongroom'] });
    const c = connect({ token: 'static-health' });
    await expect(c.health()).resolves.toEqual({ up: true, sealed: false });
    double.revokeToken('static-health');
    const h = await c.health();
    expect(h.up).toBe(false);
    expect(h.detail).toMatch(/^Vault rejected the token \(permission denied\); VAULT_TOKEN is a static token/);
    expect(double.requests.at(-1)).toMatchObject({ path: 'auth/token/lookup-self', status: 403 });
  });

  it('writes max_versions on the key, says which versions Vault still keeps, and calls a trimmed one pruned', async () => {
    const store = new VaultSecretStore(connect(), { maxVersions: 3 });
    const id = newId();
    let v = 0;
    for (let i = 1; i <= 5; i++) v = await store.put(tx, id, i, `p${i}`, meta(v));
    expect(double.rawMetadata('kv', `ytempire/secrets/${id}`)?.maxVersions).toBe(3);
    expect(double.rawVersions('kv', `ytempire/secrets/${id}`).map((x) => x.version)).toEqual([3, 4, 5]);
    double.requests.length = 0;
    await expect(store.oldestKept(tx, id, 3)).resolves.toBe(1);
    expect(double.requests).toEqual([]);
    await expect(store.oldestKept(tx, id, 5)).resolves.toBe(3);
    const err = await caught(store.get(tx, id, 2));
    expect(err).toBeInstanceOf(StorePrunedError);
    expect(err.message).toBe(`version 2 of secret ${id} was pruned by Vault (beyond the key's max_versions)`);
    // Destroyed (not trimmed) versions stay "not found", as before.
    await store.destroy(tx, id, [3]);
    expect(await caught(store.get(tx, id, 3))).not.toBeInstanceOf(StorePrunedError);
    expect(() => new VaultSecretStore(connect(), { maxVersions: 0 })).toThrow(/max_versions/);
  });

  it('lists the keys under the prefix for the orphan scan (folders left out, [] when empty)', async () => {
    const store = new VaultSecretStore(connect(), { pathPrefix: 'orphan-scan/secrets' });
    await expect(store.listIds()).resolves.toEqual([]);
    const a = newId();
    await store.put(tx, a, 1, 'a', meta(0));
    await connect().client.write('kv/data/orphan-scan/secrets/folder/inner', { data: { value: 'x' } });
    await expect(store.listIds()).resolves.toEqual([a]);
    expect(store.displayPath(a)).toBe(`kv/orphan-scan/secrets/${a}`);
  });
});
