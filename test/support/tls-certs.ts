/**
 * A throw-away PKI for TLS tests, made with the `openssl` CLI in a temp directory: a CA and leaf
 * certificates for 127.0.0.1/localhost (server, or the given SAN) or a client name. EC P-256 keys, 2-day validity.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Issued {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  /** Upper-case hex, as `getPeerCertificate().serialNumber` shows it. */
  serial: string;
}

export interface IssueOptions {
  kind?: 'server' | 'client';
  /** Server certificates: the subjectAltName entries; default `IP:127.0.0.1`, `DNS:localhost`. */
  san?: string[];
}

export interface TestCa {
  dir: string;
  name: string;
  certFile: string;
  cert: Buffer;
  /** A leaf certificate signed by this CA. */
  issue(name: string, options?: IssueOptions): Issued;
  remove(): void;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function createTestCa(name = 'Strongroom Test CA', dir = mkdtempSync(join(tmpdir(), 'strongroom-tls-'))): TestCa {
  const slug = name.replace(/\W+/g, '-').toLowerCase();
  const caKey = join(dir, `${slug}.key`);
  const caCert = join(dir, `${slug}.crt`);
  openssl(dir, [
    'req', '-x509', ...EC, '-keyout', caKey, '-out', caCert, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  let n = 0;
  return {
    dir,
    name,
    certFile: caCert,
    cert: readFileSync(caCert),
    issue(leaf, options = {}) {
      const kind = options.kind ?? 'server';
      const base = join(dir, `${slug}-${leaf.replace(/\W+/g, '-')}-${++n}`);
      const serial = randomBytes(8).toString('hex').toUpperCase().replace(/^0/, '1');
      const ext = `${base}.ext`;
      const san = (options.san ?? ['IP:127.0.0.1', 'DNS:localhost']).join(',');
      writeFileSync(
        ext,
        [
          'basicConstraints=CA:FALSE',
          kind === 'server' ? `subjectAltName=${san}` : '',
          `extendedKeyUsage=${kind === 'server' ? 'serverAuth' : 'clientAuth'}`,
        ].join('\n'),
      );
      openssl(dir, ['req', ...EC, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${leaf}`]);
      openssl(dir, [
        'x509', '-req', '-in', `${base}.csr`, '-CA', caCert, '-CAkey', caKey, '-set_serial', `0x${serial}`,
        '-days', '2', '-extfile', ext, '-out', `${base}.crt`,
      ]);
      return { certFile: `${base}.crt`, keyFile: `${base}.key`, cert: readFileSync(`${base}.crt`), key: readFileSync(`${base}.key`), serial };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
