import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, TEST_ENCRYPTION_KEY, type TestApp } from '../support/app.js';
import { startChildApp } from '../support/child-app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTlsPostgresProxy, type TlsPostgresProxy } from '../support/tls-postgres-proxy.js';
import { createTestCa, type Issued, type TestCa } from '../support/tls-certs.js';
import { adminToken, TEST_JWT_SECRET } from '../support/tokens.js';
import { startVaultDouble, type VaultDouble } from '../support/vault-double.js';

interface HttpsResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  /** Serial number of the certificate the server presented. */
  serial: string;
}

/** One HTTPS request on a fresh connection (no keep-alive), bounded at 10 s. */
function httpsGet(url: string, options: { ca?: Buffer; client?: Issued; token?: string | null } = {}): Promise<HttpsResult> {
  const token = options.token === undefined ? adminToken() : options.token;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        agent: false,
        ca: options.ca,
        cert: options.client?.cert,
        key: options.client?.key,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      },
      (res) => {
        const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : null, serial });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const S = '/api/v1/secrets';

describe('HTTPS for the API (TLS_CERT_FILE, TLS_KEY_FILE)', () => {
  let ca: TestCa;
  let first: Issued;
  let app: TestApp;
  beforeAll(async () => {
    ca = createTestCa();
    first = ca.issue('strongroom');
    app = await startTestApp({ env: { TLS_CERT_FILE: first.certFile, TLS_KEY_FILE: first.keyFile, TLS_RELOAD_INTERVAL_MS: '100' } });
  });
  afterAll(async () => {
    await app?.stop();
    ca?.remove();
  });

  it('serves the API over HTTPS to a client that trusts the CA, with HSTS', async () => {
    expect(app.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await httpsGet(`${app.url}${S}`, { ca: ca.cert });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);
    expect(res.serial).toBe(first.serial);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    // The JWT is still required over HTTPS.
    expect((await httpsGet(`${app.url}${S}`, { ca: ca.cert, token: null })).status).toBe(401);
    // localhost is in the certificate too.
    expect((await httpsGet(`${app.url.replace('127.0.0.1', 'localhost')}/health/live`, { ca: ca.cert, token: null })).status).toBe(200);
  });

  it('refuses a client that does not trust the CA (TLS error, no HTTP answer)', async () => {
    await expect(httpsGet(`${app.url}${S}`)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const other = createTestCa('Other CA');
    try {
      await expect(httpsGet(`${app.url}${S}`, { ca: other.cert })).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    } finally {
      other.remove();
    }
  });

  it('refuses to boot with a certificate that does not match its key, or a missing file, in one line', async () => {
    const a = ca.issue('a');
    const b = ca.issue('b');
    await expect(startTestApp({ env: { TLS_CERT_FILE: a.certFile, TLS_KEY_FILE: b.keyFile } })).rejects.toThrow(
      /^TLS_CERT_FILE \/ TLS_KEY_FILE: not a usable certificate and key \(.+\)$/,
    );
    await expect(startTestApp({ env: { TLS_CERT_FILE: `${ca.dir}/none.crt`, TLS_KEY_FILE: b.keyFile } })).rejects.toThrow(
      /^TLS_CERT_FILE: cannot read .*none\.crt \(ENOENT\)$/,
    );
  });

  it('serves a renewed certificate on new connections without a restart', async () => {
    expect((await httpsGet(`${app.url}/health/live`, { ca: ca.cert, token: null })).serial).toBe(first.serial);
    const renewed = ca.issue('strongroom');
    // Written one after the other, as a renewal does: the half-written pair is skipped, then applied.
    copyFileSync(renewed.keyFile, first.keyFile);
    copyFileSync(renewed.certFile, first.certFile);
    const seen = await eventually(async () => {
      const res = await httpsGet(`${app.url}/health/live`, { ca: ca.cert, token: null });
      return res.serial === renewed.serial ? res : undefined;
    }, 15_000);
    expect(seen.status).toBe(200);
  });
});

describe('client certificates (TLS_CLIENT_CA_FILE)', () => {
  let serverCa: TestCa;
  let clientCa: TestCa;
  let app: TestApp;
  beforeAll(async () => {
    serverCa = createTestCa();
    clientCa = createTestCa('Client CA', serverCa.dir);
    const server = serverCa.issue('strongroom');
    app = await startTestApp({ env: { TLS_CERT_FILE: server.certFile, TLS_KEY_FILE: server.keyFile, TLS_CLIENT_CA_FILE: clientCa.certFile } });
  });
  afterAll(async () => {
    await app?.stop();
    serverCa?.remove();
  });

  it('accepts a client certificate issued by the client CA (and the JWT still decides access)', async () => {
    const client = clientCa.issue('billing-service', { kind: 'client' });
    const res = await httpsGet(`${app.url}${S}`, { ca: serverCa.cert, client });
    expect(res.status).toBe(200);
    expect((await httpsGet(`${app.url}${S}`, { ca: serverCa.cert, client, token: null })).status).toBe(401);
  });

  it('refuses a connection without a client certificate, or with one from another CA', async () => {
    await expect(httpsGet(`${app.url}/health/live`, { ca: serverCa.cert, token: null })).rejects.toThrow();
    const stranger = serverCa.issue('stranger', { kind: 'client' });
    await expect(httpsGet(`${app.url}/health/live`, { ca: serverCa.cert, client: stranger, token: null })).rejects.toThrow();
  });
});

describe('Vault over TLS (VAULT_CACERT, VAULT_CLIENT_CERT/KEY, VAULT_TLS_SERVER_NAME)', () => {
  let vaultCa: TestCa;
  let vault: VaultDouble;
  let vaultEnv: Record<string, string>;
  beforeAll(async () => {
    vaultCa = createTestCa('Vault CA');
    // Named vault.test only: reaching it at 127.0.0.1 needs VAULT_TLS_SERVER_NAME.
    const server = vaultCa.issue('vault', { san: ['DNS:vault.test'] });
    const client = vaultCa.issue('strongroom', { kind: 'client' });
    vault = await startVaultDouble({ https: { cert: server.cert, key: server.key, ca: vaultCa.cert } });
    vaultEnv = {
      USE_VAULT: 'true',
      VAULT_URL: vault.url,
      VAULT_TOKEN: vault.rootToken,
      VAULT_CACERT: vaultCa.certFile,
      VAULT_CLIENT_CERT: client.certFile,
      VAULT_CLIENT_KEY: client.keyFile,
      VAULT_TLS_SERVER_NAME: 'vault.test',
    };
  });
  afterAll(async () => {
    await vault?.close();
    vaultCa?.remove();
  });

  it('stores and reads secrets in a Vault served over HTTPS with its own CA and a client certificate', async () => {
    expect(vault.url).toMatch(/^https:/);
    const app = await startTestApp({ env: vaultEnv });
    try {
      const created = await app.call('POST', `${S}/`, { body: { name: 'over_tls', value: 'tls-value-1', secret_type: 'API_KEY' } });
      expect(created.status).toBe(201);
      expect(created.body.store).toBe('vault');
      expect(vault.rawVersions('kv', `ytempire/secrets/${created.body.id}`)).toHaveLength(1);
      expect((await app.call('GET', `${S}/${created.body.id}/value`)).body.value).toBe('tls-value-1');
      expect((await app.call('GET', '/health/ready', { token: null })).status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it('does not trust the Vault without VAULT_CACERT: readiness fails and nothing is written', async () => {
    const { VAULT_CACERT: _omitted, ...withoutCa } = vaultEnv;
    const app = await startTestApp({ env: withoutCa });
    try {
      vault.requests.length = 0;
      const ready = await app.call('GET', '/health/ready', { token: null });
      expect(ready.status).toBe(503);
      const created = await app.call('POST', `${S}/`, { body: { name: 'untrusted', value: 'v', secret_type: 'API_KEY' } });
      expect(created.status).toBe(503);
      expect(vault.requests).toHaveLength(0);
    } finally {
      await app.stop();
    }
  });

  it('refuses an unreadable VAULT_CACERT at boot with a one-line error', async () => {
    await expect(startTestApp({ env: { ...vaultEnv, VAULT_CACERT: `${vaultCa.dir}/missing.pem` } })).rejects.toThrow(
      /^VAULT_CACERT: cannot read .*missing\.pem \(ENOENT\)$/,
    );
  });
});

describe('PostgreSQL over TLS (sslmode in DATABASE_URL, DATABASE_CA_FILE)', () => {
  let dbCa: TestCa;
  let proxy: TlsPostgresProxy;
  let db: TestDatabase;
  beforeAll(async () => {
    dbCa = createTestCa('Database CA');
    const server = dbCa.issue('postgres');
    proxy = await startTlsPostgresProxy({ cert: server.cert, key: server.key });
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await proxy?.close();
    await db?.drop();
    dbCa?.remove();
  });

  it('runs on a TLS-only PostgreSQL with sslmode=verify-full and DATABASE_CA_FILE', async () => {
    const app = await startTestApp({
      db,
      env: { DATABASE_URL: `${proxy.urlFor(db.name)}?sslmode=verify-full`, DATABASE_CA_FILE: dbCa.certFile },
    });
    try {
      const created = await app.call('POST', `${S}/`, { body: { name: 'db_over_tls', value: 'pg-tls-1', secret_type: 'API_KEY' } });
      expect(created.status).toBe(201);
      expect((await app.call('GET', `${S}/${created.body.id}/value`)).body.value).toBe('pg-tls-1');
      expect(proxy.tlsSessions).toBeGreaterThan(0);
    } finally {
      await app.stop();
    }
  });

  it('does not boot when the database certificate cannot be verified (no DATABASE_CA_FILE), nor with sslmode=prefer', async () => {
    await expect(startTestApp({ db, env: { DATABASE_URL: `${proxy.urlFor(db.name)}?sslmode=verify-full` } })).rejects.toThrow(
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/,
    );
    await expect(startTestApp({ db, env: { DATABASE_URL: `${proxy.urlFor(db.name)}?sslmode=prefer`, DATABASE_CA_FILE: dbCa.certFile } })).rejects.toThrow(
      /^DATABASE_URL sslmode=prefer is not supported/,
    );
  });

  it('verify-ca checks the chain but not the host name; require without a CA encrypts without verifying', async () => {
    const misnamed = dbCa.issue('postgres', { san: ['DNS:db.test'] });
    const other = await startTlsPostgresProxy({ cert: misnamed.cert, key: misnamed.key });
    try {
      const base = other.urlFor(db.name);
      await expect(startTestApp({ db, env: { DATABASE_URL: `${base}?sslmode=verify-full`, DATABASE_CA_FILE: dbCa.certFile } })).rejects.toThrow(
        /ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate/,
      );
      const envs: Record<string, string>[] = [
        { DATABASE_URL: `${base}?sslmode=verify-ca`, DATABASE_CA_FILE: dbCa.certFile },
        { DATABASE_URL: `${base}?sslmode=require` },
      ];
      for (const env of envs) {
        const app = await startTestApp({ db, env });
        try {
          expect((await app.call('GET', `${S}/`)).status).toBe(200);
        } finally {
          await app.stop();
        }
      }
      expect(other.tlsSessions).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });
});

describe('production without TLS', () => {
  it('warns once at boot that a TLS-terminating proxy is assumed', async () => {
    const db = await createTestDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-tls-'));
    const signingKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const service = await startChildApp({
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      JWT_SECRET: TEST_JWT_SECRET,
      AUDIT_SIGNING_KEY: signingKey,
      JOBS_ENABLED: 'false',
      DATA_DIR: dataDir,
    });
    try {
      const warnings = service.output().match(/TLS_CERT_FILE is not set: serving plain HTTP, a TLS-terminating proxy in front is assumed/g);
      expect(warnings).toHaveLength(1);
    } finally {
      await service.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
