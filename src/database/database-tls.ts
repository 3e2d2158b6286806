import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '../config/index.js';
import { readPemFile } from '../tls/tls-files.js';

/** What node-postgres gets: the URL without its TLS parameters, and the TLS options they mean. */
export interface PgTarget {
  url: string;
  /** undefined: the URL asked for nothing (no TLS, as before); false: sslmode=disable. */
  ssl?: false | ConnectionOptions;
}

const TLS_PARAMS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey'];

/**
 * libpq's `sslmode` (and `sslrootcert`/`sslcert`/`sslkey`) in DATABASE_URL, plus DATABASE_CA_FILE,
 * turned into node-postgres `ssl` options with libpq's meaning (node-postgres on its own treats
 * require and verify-ca as verify-full):
 * - `disable`: no TLS. `require`: TLS; the certificate is verified against the CA when one is given
 *   (libpq does the same when a root certificate exists), else not verified.
 * - `verify-ca`: chain verified, host name not. `verify-full`: chain and host name verified.
 * - no sslmode but a CA (DATABASE_CA_FILE or sslrootcert): `verify-full`.
 * - `allow`/`prefer` are refused: node-postgres cannot fall back to a plain connection.
 * The parameters are removed from the URL, because node-postgres lets the URL override `ssl`.
 */
export function pgTarget(url: string, caFile?: string): PgTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  const params = parsed.searchParams;
  if (!caFile && !TLS_PARAMS.some((p) => params.has(p))) return { url };
  const mode = params.get('sslmode') ?? 'verify-full';
  const rootCert = params.get('sslrootcert');
  const ca = caFile ? readPemFile('DATABASE_CA_FILE', caFile) : rootCert ? readPemFile('DATABASE_URL sslrootcert', rootCert) : undefined;
  const certFile = params.get('sslcert');
  const keyFile = params.get('sslkey');
  for (const p of TLS_PARAMS) params.delete(p);
  const clean = parsed.toString();

  const client: ConnectionOptions = {
    ...(ca ? { ca } : {}),
    ...(certFile ? { cert: readPemFile('DATABASE_URL sslcert', certFile) } : {}),
    ...(keyFile ? { key: readPemFile('DATABASE_URL sslkey', keyFile) } : {}),
  };
  switch (mode) {
    case 'disable':
      return { url: clean, ssl: false };
    case 'require':
      return { url: clean, ssl: ca ? { ...client, checkServerIdentity: () => undefined } : { ...client, rejectUnauthorized: false } };
    case 'verify-ca':
      return { url: clean, ssl: { ...client, checkServerIdentity: () => undefined } };
    case 'verify-full':
      return { url: clean, ssl: { ...client, rejectUnauthorized: true } };
    case 'allow':
    case 'prefer':
      throw new ConfigError(`DATABASE_URL sslmode=${mode} is not supported (no fallback to plain connections): use disable, require, verify-ca or verify-full`);
    default:
      throw new ConfigError(`DATABASE_URL sslmode=${mode} is not one of disable, require, verify-ca, verify-full`);
  }
}
