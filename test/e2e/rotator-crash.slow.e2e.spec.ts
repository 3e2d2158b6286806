import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildAppHarness, childAppHarness, completedRotation } from '../support/child-app.js';
import { asMysqlRoot, canMysqlLogin, canRedisLogin, redisAs } from '../support/machine-targets.js';
import { type OAuthEndpointName, type OAuthServer, startOAuthServer } from '../support/oauth-server.js';
import { type PausableProxy, startPausableProxy } from '../support/pausable-proxy.js';
import { type ScramPostgres, startScramPostgres } from '../support/scram-postgres.js';

const S = '/api/v1/secrets';
const HOST = '127.0.0.1';
const initial = 'initial-password-Aa1';

/**
 * Strongroom killed with SIGKILL in the middle of an external rotation (postgres_role, mysql_user,
 * redis_acl, the OAuth rotators), then started again: RotationRecovery resumes it to a value that
 * works at the target, and (where the target allows) the old one stops working. The kill comes
 * when the rotator opens its n-th connection to the target (a proxy in front of PostgreSQL,
 * MariaDB or Redis) or at an OAuth endpoint, before that connection or request gets anywhere.
 */
describe('external rotators: kill -9 mid-rotation resumes to a working credential', () => {
  let h: ChildAppHarness;
  const tag = randomBytes(4).toString('hex');
  const user = (u: string) => `sr_${tag}_${u}`;
  const adminPassword = `admin-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    h = await childAppHarness('rotator-crash', { ROTATOR_ALLOWED_HOSTS: HOST, ROTATION_RESUME_AFTER_SECONDS: '1', ROTATION_RETRY_BASE_DELAY_MS: '10' });
    await h.start();
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  /** Starts the rotation and returns once `kill` has run; the service is started again. */
  const rotateThroughKill = async (secretId: string, killed: () => boolean) => {
    await h.call('POST', `${S}/${secretId}/rotate`).catch(() => undefined);
    expect(killed()).toBe(true);
    await h.start();
    return completedRotation(h, secretId);
  };
  const secret = async (body: Record<string, unknown>) => {
    const res = await h.call('POST', `${S}/`, { name: `crash_${randomBytes(4).toString('hex')}`, ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  /** Kills the service when the proxy sees the rotation's n-th connection (counted from now). */
  const killAtConnection = (proxy: PausableProxy, n: number) => {
    let killed = false;
    let seen = 0;
    proxy.beforeConnect = async () => {
      if (++seen !== n || killed) return;
      killed = true;
      proxy.beforeConnect = undefined;
      await h.kill();
    };
    return () => killed;
  };

  describe('postgres_role', () => {
    let pg: ScramPostgres;
    let proxy: PausableProxy;
    let adminId: string;

    beforeAll(async () => {
      pg = await startScramPostgres();
      await pg.admin((c) => c.query(`CREATE ROLE crash_role LOGIN PASSWORD '${initial}'`));
      proxy = await startPausableProxy(pg.port, pg.host);
      adminId = await secret({ secret_type: 'DATABASE_PASSWORD', value: `${pg.superuser}:${pg.superuserPassword}` });
    }, 120_000);
    afterAll(async () => {
      await proxy?.close();
      await pg?.stop();
    });

    // Connection 1 is apply's (ALTER ROLE as the admin), 2 is verify's (login as the role); SCRAM in the clear.
    it('killed at verify: the new password works after the restart, the old one does not', async () => {
      const id = await secret({
        secret_type: 'DATABASE_PASSWORD',
        value: initial,
        rotator: { kind: 'postgres_role', host: HOST, port: proxy.port, database: 'postgres', role: 'crash_role', admin_secret_id: adminId, sslmode: 'disable' },
      });
      const rotation = await rotateThroughKill(id, killAtConnection(proxy, 2));
      expect(rotation).toMatchObject({ status: 'completed', rotator: 'postgres_role', attempts: 1 });
      const { value, version } = (await h.call('GET', `${S}/${id}/value`)).body;
      expect(version).toBe(2);
      expect(await pg.canLogin('crash_role', value)).toBe(true);
      expect(await pg.canLogin('crash_role', initial)).toBe(false);
    }, 120_000);
  });

  describe('mysql_user', () => {
    let proxy: PausableProxy;
    let adminId: string;
    const accounts = ['admin', 'apply', 'verify'].map(user);

    beforeAll(async () => {
      await asMysqlRoot(async (c) => {
        for (const a of accounts) await c.query('CREATE USER ?@? IDENTIFIED BY ?', [a, '%', a.endsWith('admin') ? adminPassword : initial]);
        await c.query('GRANT CREATE USER ON *.* TO ?@?', [user('admin'), '%']);
      });
      proxy = await startPausableProxy(3306);
      adminId = await secret({ secret_type: 'DATABASE_PASSWORD', value: `${user('admin')}:${adminPassword}` });
    });
    afterAll(async () => {
      await proxy?.close();
      await asMysqlRoot(async (c) => {
        for (const a of accounts) await c.query('DROP USER IF EXISTS ?@?', [a, '%']);
      });
    });

    // Connection 1 is apply's (ALTER USER as the admin), 2 is verify's (login as the account).
    it.each([
      ['apply', 1],
      ['verify', 2],
    ] as const)('killed at %s: the new password works after the restart, the old one does not', async (step, n) => {
      const account = user(step);
      const id = await secret({ secret_type: 'DATABASE_PASSWORD', value: initial, rotator: { kind: 'mysql_user', host: HOST, port: proxy.port, user: account, admin_secret_id: adminId, sslmode: 'disable' } });
      const rotation = await rotateThroughKill(id, killAtConnection(proxy, n));
      expect(rotation).toMatchObject({ status: 'completed', rotator: 'mysql_user' });
      const { value, version } = (await h.call('GET', `${S}/${id}/value`)).body;
      // Killed before ALTER USER reached the server, the staged version 2 did not log in after
      // the restart: it was reverted and destroyed, and the next attempt staged version 3.
      expect(version).toBe(step === 'apply' ? 3 : 2);
      expect(rotation.attempts).toBe(step === 'apply' ? 2 : 1);
      expect(await canMysqlLogin(account, value)).toBe(true);
      expect(await canMysqlLogin(account, initial)).toBe(false);
    }, 120_000);
  });

  describe('redis_acl', () => {
    let proxy: PausableProxy;
    let adminId: string;
    const names = ['admin', 'verify', 'finish'].map(user);

    beforeAll(async () => {
      await redisAs({}, async (r) => {
        await r.call('ACL', 'SETUSER', user('admin'), 'on', `>${adminPassword}`, '+acl');
        for (const u of names.slice(1)) await r.call('ACL', 'SETUSER', u, 'on', `>${initial}`, '+acl|whoami');
      });
      proxy = await startPausableProxy(6379);
      adminId = await secret({ secret_type: 'DATABASE_PASSWORD', value: `${user('admin')}:${adminPassword}` });
    });
    afterAll(async () => {
      await proxy?.close();
      await redisAs({}, async (r) => {
        for (const u of names) await r.call('ACL', 'DELUSER', u);
      });
    });

    // Connection 1: apply (both passwords), 2: verify (login with the new one), 3: finish (drop the old).
    it.each([
      ['verify', 2],
      ['finish', 3],
    ] as const)('killed at %s: only the new password works after the restart', async (step, n) => {
      const account = user(step);
      const id = await secret({ secret_type: 'API_KEY', value: initial, rotator: { kind: 'redis_acl', host: HOST, port: proxy.port, user: account, admin_secret_id: adminId, sslmode: 'disable' } });
      const rotation = await rotateThroughKill(id, killAtConnection(proxy, n));
      expect(rotation).toMatchObject({ status: 'completed', rotator: 'redis_acl' });
      const { value, version } = (await h.call('GET', `${S}/${id}/value`)).body;
      expect(version).toBe(2);
      expect(await canRedisLogin(account, value)).toBe(true);
      expect(await canRedisLogin(account, initial)).toBe(false);
    }, 120_000);
  });

  describe('oauth', () => {
    let idp: OAuthServer;
    let clientSecretId: string;

    beforeAll(async () => {
      idp = await startOAuthServer();
      clientSecretId = await secret({ secret_type: 'API_KEY', value: idp.clientSecret });
    });
    afterAll(async () => {
      await idp?.close();
    });

    const killAtEndpoint = (at: OAuthEndpointName) => {
      let killed = false;
      idp.onRequest = async (endpoint) => {
        if (endpoint !== at || killed) return;
        killed = true;
        idp.onRequest = undefined;
        await h.kill();
        return 'drop';
      };
      return () => killed;
    };
    const rotator = (kind: string) => idp.rotatorSettings(kind, clientSecretId);

    it('oauth_client_credentials killed at verify (introspection): the staged token is promoted and active', async () => {
      const id = await secret({ secret_type: 'OAUTH_TOKEN', value: 'placeholder', rotator: rotator('oauth_client_credentials') });
      const rotation = await rotateThroughKill(id, killAtEndpoint('introspection'));
      expect(rotation).toMatchObject({ status: 'completed', rotator: 'oauth_client_credentials' });
      const { value, version } = (await h.call('GET', `${S}/${id}/value`)).body;
      expect(version).toBe(2);
      expect(await idp.isActive(JSON.parse(value).access_token)).toBe(true);
    }, 120_000);

    it.each(['token', 'introspection'] as const)('oauth_refresh_token killed at %s: the new pair works, the old refresh token does not', async (at) => {
      const initialRt = await idp.issueRefreshToken();
      const id = await secret({ secret_type: 'OAUTH_TOKEN', value: initialRt, rotator: rotator('oauth_refresh_token') });
      const rotation = await rotateThroughKill(id, killAtEndpoint(at));
      expect(rotation).toMatchObject({ status: 'completed', rotator: 'oauth_refresh_token' });
      const { value, version } = (await h.call('GET', `${S}/${id}/value`)).body;
      expect(version).toBe(2);
      const pair = JSON.parse(value) as { access_token: string; refresh_token: string };
      expect(await idp.isActive(pair.access_token)).toBe(true);
      expect(await idp.isActive(pair.refresh_token, 'refresh_token')).toBe(true);
      expect(await idp.isActive(initialRt, 'refresh_token')).toBe(false);
    }, 120_000);

    it('the service output never shows the client secret or a token', async () => {
      const out = h.service!.output();
      expect(out).not.toContain(idp.clientSecret);
      const list = (await h.call('GET', `${S}/?limit=100`)).body.items as { id: string; secret_type: string }[];
      for (const s of list.filter((x) => x.secret_type === 'OAUTH_TOKEN')) {
        const v = (await h.call('GET', `${S}/${s.id}/value`)).body.value as string;
        if (v.startsWith('{')) expect(out).not.toContain(JSON.parse(v).access_token);
      }
    });
  });
});
