import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/index.js';

/** What a caller's X-Request-Id may look like to be kept (as `client_request_id`). */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const OWN_ID = Symbol('strongroom request id');

/**
 * The request id: always our own UUID (logs, error bodies, X-Request-Id on the response, audit
 * rows), so no caller can choose or repeat the id an audit row carries. Cached on the raw request
 * so Fastify and the logger agree. A malformed caller X-Request-Id is dropped from the headers here.
 */
export function requestIdOf(req: IncomingMessage): string {
  const cached = (req as IncomingMessage & { [OWN_ID]?: string })[OWN_ID];
  if (cached) return cached;
  if (clientRequestIdOf(req) === undefined) delete req.headers['x-request-id'];
  const id = randomUUID();
  (req as IncomingMessage & { [OWN_ID]?: string })[OWN_ID] = id;
  return id;
}

/** The caller's X-Request-Id when well-formed (bounded, safe characters), else undefined. */
export function clientRequestIdOf(req: { headers: IncomingMessage['headers'] }): string | undefined {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : undefined;
}

/**
 * Paths pino blanks in every log line. Bodies are never logged; these catch a value, password or
 * token that ends up in a logged object anyway.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-vault-token"]',
  'res.headers["set-cookie"]',
  'value',
  '*.value',
  '*.*.value',
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  '*.client_token',
  '*.secret_id',
];

export function loggerParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      genReqId: (req) => requestIdOf(req),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { id: string; method: string; url: string; remoteAddress?: string; headers?: IncomingMessage['headers'] }) => ({
          id: req.id,
          clientRequestId: req.headers ? clientRequestIdOf(req as { headers: IncomingMessage['headers'] }) : undefined,
          method: req.method,
          url: req.url,
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/health/live' || req.url === '/health/ready' || req.url === '/metrics' },
      quietReqLogger: true,
    },
  };
}
