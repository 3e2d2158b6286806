import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../support/app.js';
import { rotateAndSettle } from '../support/rotation.js';

x509.cryptoProvider.set(webcrypto as never);
const S = '/api/v1/secrets';
const DAY = 86_400_000;
const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
const certOf = (pem: string) => new x509.X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0]);
const keyOf = (pem: string) => /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]+?-----END (?:[A-Z]+ )?PRIVATE KEY-----/.exec(pem)![0];
const sans = (c: x509.X509Certificate) => c.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON();

/** internal_ca against a CA made by openssl; each issued chain is checked with `openssl verify`. */
describe('internal_ca rotator: certificates issued from a CA kept as a secret', () => {
  let app: TestApp;
  let dir: string;
  let caPem = '';
  let caSecretPem = '';
  let notCaSecretPem = '';
  let caId: string;
  let n = 0;

  /** A leaf signed by the test CA, `ageDays` old, `lifeDays` long in all. */
  async function leaf(ageDays: number, lifeDays: number): Promise<string> {
    const caKey = await webcrypto.subtle.importKey('pkcs8', Buffer.from(keyOf(caSecretPem).replace(/-----[^-]+-----|\s/g, ''), 'base64'), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const notBefore = new Date(Date.now() - ageDays * DAY);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: '0a0b0c',
      subject: 'CN=api.internal, O=Acme, C=DE',
      issuer: certOf(caPem).subjectName,
      notBefore,
      notAfter: new Date(notBefore.getTime() + lifeDays * DAY),
      publicKey: keys.publicKey as never,
      signingKey: caKey as never,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: 'api.internal' },
          { type: 'dns', value: 'www.api.internal' },
          { type: 'ip', value: '127.0.0.1' },
        ]),
      ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
    return `${cert.toString('pem')}\n-----BEGIN PRIVATE KEY-----\n${pkcs8}\n-----END PRIVATE KEY-----\n`;
  }

  function opensslVerify(certPem: string): string {
    writeFileSync(join(dir, 'cert.pem'), certPem);
    return openssl(['verify', '-CAfile', 'ca.pem', 'cert.pem'], dir).trim();
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'internal-ca-'));
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '365',
      '-subj', '/CN=Strongroom Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.pem', '-days', '365',
      '-subj', '/CN=not a ca', '-addext', 'basicConstraints=critical,CA:FALSE'], dir);
    caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
    caSecretPem = caPem + readFileSync(join(dir, 'ca.key'), 'utf8');
    notCaSecretPem = readFileSync(join(dir, 'leaf.pem'), 'utf8') + readFileSync(join(dir, 'leaf.key'), 'utf8');
    app = await startTestApp({ env: { ROTATION_MAX_ATTEMPTS: '2' } });
    const ca = await app.call('POST', `${S}/`, { body: { name: 'issuing_ca', secret_type: 'TLS_CERTIFICATE', value: caSecretPem } });
    expect(ca.status, ca.text).toBe(201);
    caId = ca.body.id;
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const createCert = async (value: string, over: Record<string, unknown> = {}) => {
    const res = await app.call('POST', `${S}/`, {
      body: { name: `api_cert_${++n}`, secret_type: 'TLS_CERTIFICATE', value, rotator: { kind: 'internal_ca', admin_secret_id: caId, validity_days: 30, ...over } },
    });
    expect(res.status, res.text).toBe(201);
    return res.body;
  };
  const valueOf = async (id: string) => (await app.call('GET', `${S}/${id}/value`)).body;

  it('issues a new key and certificate that verify against the CA, with the same subject and SANs', async () => {
    const initial = await leaf(1, 10);
    expect(opensslVerify(initial)).toBe('cert.pem: OK');
    const s = await createCert(initial);

    const res = await app.call('POST', `${S}/${s.id}/rotate`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', rotator: 'internal_ca', to_version: 2 });
    const { value, version } = await valueOf(s.id);
    expect(version).toBe(2);
    expect(opensslVerify(value)).toBe('cert.pem: OK');

    const before = certOf(initial);
    const after = certOf(value);
    expect(after.subject).toBe(before.subject);
    expect(sans(after)).toEqual(sans(before));
    expect(after.issuer).toBe(certOf(caPem).subject);
    expect(keyOf(value)).not.toBe(keyOf(initial));
    expect(Buffer.from(after.publicKey.rawData).equals(Buffer.from(before.publicKey.rawData))).toBe(false);
    // 30 days (validity_days), expires_at follows notAfter, renewal due at 0.66 of the lifetime.
    const life = after.notAfter.getTime() - after.notBefore.getTime();
    expect(life).toBeGreaterThan(30 * DAY);
    expect(life).toBeLessThan(30 * DAY + 3_600_000);
    const meta = (await app.call('GET', `${S}/${s.id}`)).body;
    expect(new Date(meta.expires_at).getTime()).toBe(after.notAfter.getTime());
    expect(new Date(meta.next_rotation_at).getTime()).toBe(Math.floor(after.notBefore.getTime() + life * 0.66));
  });

  it('check_expired_secrets renews a certificate past its renew_at_fraction, not one before it', async () => {
    const due = await createCert(await leaf(3, 4), { renew_at_fraction: 0.66 }); // 75% of its lifetime passed
    const notDue = await createCert(await leaf(3, 4), { renew_at_fraction: 0.9 });
    expect(new Date((await app.call('GET', `${S}/${due.id}`)).body.next_rotation_at).getTime()).toBeLessThan(Date.now());
    expect(new Date((await app.call('GET', `${S}/${notDue.id}`)).body.next_rotation_at).getTime()).toBeGreaterThan(Date.now());

    const run = await app.call('POST', '/api/v1/jobs/check_expired_secrets/run');
    expect(run.status, run.text).toBe(201);
    expect(run.body.counts.rotations_queued).toBeGreaterThanOrEqual(1);
    const history = await eventually(async () => {
      const h = (await app.call('GET', `${S}/${due.id}/rotations`)).body as { status: string; trigger: string }[];
      return h.length > 0 && h[0]!.status === 'completed' ? h : null;
    });
    expect(history[0]).toMatchObject({ trigger: 'schedule', rotator: 'internal_ca' });
    const { value, version } = await valueOf(due.id);
    expect(version).toBe(2);
    expect(opensslVerify(value)).toBe('cert.pem: OK');
    expect(new Date((await app.call('GET', `${S}/${due.id}`)).body.next_rotation_at).getTime()).toBeGreaterThan(Date.now() + 19 * DAY);
  });

  it('a CA secret that is not a CA, or is gone, leaves the previous certificate current', async () => {
    const initial = await leaf(1, 10);
    const notCa = await app.call('POST', `${S}/`, { body: { name: `not_a_ca_${++n}`, secret_type: 'TLS_CERTIFICATE', value: notCaSecretPem } });
    const s = await createCert(initial, { admin_secret_id: notCa.body.id });
    const refused = await rotateAndSettle(app, s.id);
    expect(refused.rotation).toMatchObject({ status: 'failed' });
    expect(refused.rotation.last_error).toMatch(/not a CA/);
    expect(await valueOf(s.id)).toMatchObject({ version: 1, value: initial });

    const otherCa = await app.call('POST', `${S}/`, { body: { name: `doomed_ca_${++n}`, secret_type: 'TLS_CERTIFICATE', value: caSecretPem } });
    const t = await createCert(initial, { admin_secret_id: otherCa.body.id });
    expect((await app.call('DELETE', `${S}/${otherCa.body.id}`)).status).toBeLessThan(300);
    const gone = await rotateAndSettle(app, t.id);
    expect(gone.rotation).toMatchObject({ status: 'failed' });
    expect(await valueOf(t.id)).toMatchObject({ version: 1, value: initial });
    expect(JSON.stringify([refused, gone])).not.toMatch(/PRIVATE KEY/);
  });

  it('refuses a CA secret of another type and fields of other rotators', async () => {
    const apiKey = await app.call('POST', `${S}/`, { body: { name: `k_${++n}`, secret_type: 'API_KEY' } });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ admin_secret_id: apiKey.body.id }, /must be TLS_CERTIFICATE/],
      [{ host: '127.0.0.1' }, /host is not a setting of the internal_ca rotator/],
      [{ renew_at_fraction: 1.5 }, /renew_at_fraction/],
    ];
    for (const [over, message] of cases) {
      const res = await app.call('POST', `${S}/`, {
        body: { name: `refused_${++n}`, secret_type: 'TLS_CERTIFICATE', value: caPem, rotator: { kind: 'internal_ca', admin_secret_id: caId, ...over } },
      });
      expect(res.status, JSON.stringify(over)).toBe(400);
      expect(res.body.message).toMatch(message);
    }
  });
});
