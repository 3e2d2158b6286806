import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { type AppConfig, ConfigError } from '../config/index.js';
import { fileStamp, readPemFile } from './tls-files.js';

type ServerTls = AppConfig['tls'] & { certFile: string; keyFile: string };

export function httpsEnabled(tls: AppConfig['tls']): tls is ServerTls {
  return Boolean(tls.certFile && tls.keyFile);
}

/** Certificate, key and (mTLS) client CA read from their files; throws ConfigError when one is unreadable. */
export function readServerContext(tls: ServerTls): SecureContextOptions {
  const options: SecureContextOptions = {
    cert: readPemFile('TLS_CERT_FILE', tls.certFile),
    key: readPemFile('TLS_KEY_FILE', tls.keyFile),
  };
  if (tls.clientCaFile) options.ca = readPemFile('TLS_CLIENT_CA_FILE', tls.clientCaFile);
  // Fails here (mismatched key, bad PEM) rather than on the first handshake.
  try {
    createSecureContext(options);
  } catch (e) {
    throw new ConfigError(`TLS_CERT_FILE / TLS_KEY_FILE: not a usable certificate and key (${(e as Error).message.split('\n')[0]})`);
  }
  return options;
}

/**
 * Fastify's `https` options. With TLS_CLIENT_CA_FILE every connection must present a client
 * certificate issued by that CA; the TLS handshake refuses anything else, before any HTTP.
 * (A client certificate is transport authentication only: the API still requires a JWT.)
 */
export function httpsServerOptions(tls: ServerTls) {
  const context = readServerContext(tls);
  return tls.clientCaFile ? { ...context, requestCert: true, rejectUnauthorized: true } : context;
}

export interface ReloadLogger {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * Polls the certificate files' stamps and, when one changes, installs the new certificate with
 * `server.setSecureContext` (new connections get it; open ones keep theirs). A half-written pair
 * (a new certificate with the old key) fails to load: the old context stays and the next change
 * is tried again, so a renewal that writes the two files one after the other still applies.
 */
export function watchCertificates(
  server: { setSecureContext(options: SecureContextOptions): void },
  tls: ServerTls,
  logger: ReloadLogger,
): () => void {
  const files = [tls.certFile, tls.keyFile, ...(tls.clientCaFile ? [tls.clientCaFile] : [])];
  const stamp = () => files.map(fileStamp).join('|');
  let loaded = stamp();
  let failed = '';
  const timer = setInterval(() => {
    const now = stamp();
    if (now === loaded || now === failed) return;
    try {
      server.setSecureContext(readServerContext(tls));
      loaded = now;
      failed = '';
      logger.log('TLS certificate reloaded');
    } catch (e) {
      failed = now;
      logger.warn(`TLS certificate not reloaded, the previous one stays in use: ${(e as Error).message.split('\n')[0]}`);
    }
  }, tls.reloadIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
