import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Params } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
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
        // No URL: its query string may carry anything. The access line names the route template.
        req: (req: { id: string; method: string; remoteAddress?: string; headers?: IncomingMessage['headers'] }) => ({
          id: req.id,
          clientRequestId: req.headers ? clientRequestIdOf(req as { headers: IncomingMessage['headers'] }) : undefined,
          method: req.method,
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      // The access line is written by accessLogHook (it knows the route template and the actor).
      autoLogging: false,
      quietReqLogger: true,
    },
  };
}

/** Probes and scrapes: logged only when they fail, or every replica logs a line every few seconds. */
const QUIET_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * One access line per request: method, route template (never the raw URL, whose query or path
 * could carry anything), status, duration, request id and the authenticated subject. Never a
 * header or a body. 5xx at error level, 4xx at warn.
 */
export function accessLogHook(logger: () => PinoLogger) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    if (status < 400 && QUIET_ROUTES.has(route)) return;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    const actor = (req as { user?: { sub?: unknown } }).user?.sub;
    logger()[level](
      {
        reqId: req.id,
        clientRequestId: clientRequestIdOf(req),
        method: req.method,
        route,
        status,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        actor: typeof actor === 'string' ? actor : undefined,
      },
      'request completed',
    );
  };
}
