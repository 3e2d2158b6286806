import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuditAction, type AuditOutcome } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import type { AuditAnnotations } from '../audit-log/audit-scope.js';
import { requestAuditEvent } from '../audit-log/request-audit.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../database/database-errors.js';
import type { AppRequest } from '../auth/app-request.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';

/** The one translation of domain error codes to HTTP. A new code does not compile until mapped. */
const STATUS_OF: Record<DomainErrorCode, number> = {
  [DomainErrorCode.NotFound]: 404,
  [DomainErrorCode.Conflict]: 409,
  [DomainErrorCode.VersionMismatch]: 409,
  [DomainErrorCode.RotationInProgress]: 409,
  [DomainErrorCode.InvalidInput]: 400,
  [DomainErrorCode.Gone]: 410,
  [DomainErrorCode.Unprocessable]: 422,
  [DomainErrorCode.RateLimited]: 429,
  [DomainErrorCode.SubjectLockedOut]: 403,
  [DomainErrorCode.UpstreamFailed]: 502,
  [DomainErrorCode.StoreUnavailable]: 503,
  [DomainErrorCode.AuditUnavailable]: 503,
  [DomainErrorCode.DatabaseUnavailable]: 503,
  [DomainErrorCode.RequestTimeout]: 503,
};

/** Failures whose audit row cannot be written now (or would only make the 503 wait longer). */
const UNAUDITABLE = new Set<string>([DomainErrorCode.DatabaseUnavailable, DomainErrorCode.RequestTimeout]);

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  requestId: string;
  code?: string;
  [detail: string]: unknown;
}

const reasonPhrase = (status: number) =>
  (Object.entries(HttpStatus).find(([, v]) => v === status)?.[0] ?? 'Error')
    .toLowerCase()
    .split('_')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');

/**
 * Every 4xx/5xx leaves as `{statusCode, error, message, requestId}` (plus safe details such as the
 * failing fields). No stack, SQL or internals. Failures of audited routes are audited here.
 */
@Catch()
export class ErrorResponseFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(
    private readonly audit: AuditLog,
    /** Retry-After of every 503 (RETRY_AFTER_SECONDS). */
    private readonly retryAfterSeconds = 5,
  ) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const req = host.switchToHttp().getRequest<AppRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    let body = this.toBody(exception, String(req.id));

    const spec = req.auditRoute;
    if (spec && this.audit.enabled && !req.auditAggregated && !UNAUDITABLE.has(body.code ?? '')) {
      const annotations = (req as AppRequest & { auditAnnotations?: AuditAnnotations }).auditAnnotations ?? {};
      const [action, outcome] = this.auditOf(body.statusCode, spec.action);
      try {
        await this.audit.record(
          requestAuditEvent(req, action, outcome, annotations, { status: body.statusCode, error_code: body.code ?? null }),
        );
      } catch (e) {
        if (e instanceof DomainError) body = this.toBody(e, String(req.id));
      }
    }

    if (body.statusCode === 429 && typeof body.retry_after_seconds === 'number') {
      void reply.header('Retry-After', String(body.retry_after_seconds));
    }
    if (body.statusCode === 503) void reply.header('Retry-After', String(this.retryAfterSeconds));
    void reply.status(body.statusCode).header('Cache-Control', 'no-store').send(body);
  }

  private auditOf(status: number, action: (typeof AuditAction)[keyof typeof AuditAction]): [typeof action, AuditOutcome] {
    if (status === 401) return [AuditAction.AuthDenied, 'denied'];
    if (status === 403) return [AuditAction.AuthForbidden, 'denied'];
    if (status === 429) return [AuditAction.AuthRateLimited, 'denied'];
    return [action, 'error'];
  }

  private toBody(exception: unknown, requestId: string): ErrorBody {
    if (exception instanceof DomainError) {
      const statusCode = STATUS_OF[exception.code];
      return { statusCode, error: reasonPhrase(statusCode), message: exception.message, requestId, code: exception.code, ...exception.details };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const res = exception.getResponse();
      const message =
        typeof res === 'string'
          ? res
          : Array.isArray((res as { message?: unknown }).message)
            ? ((res as { message: string[] }).message.join('; '))
            : String((res as { message?: unknown }).message ?? exception.message);
      return { statusCode, error: reasonPhrase(statusCode), message, requestId };
    }
    // Fastify's own errors (malformed JSON, body too large, unsupported media type) carry a 4xx.
    const fastifyStatus = (exception as { statusCode?: unknown })?.statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return {
        statusCode: fastifyStatus,
        error: reasonPhrase(fastifyStatus),
        message: fastifyMessage(exception as { code?: string; message?: string }),
        requestId,
      };
    }
    if (isDatabaseUnavailable(exception)) return this.toBody(databaseUnavailable(), requestId);
    const err = exception as { name?: string; message?: string; code?: string };
    // Log the class and code only: driver messages can quote parameters.
    this.logger.error(`unhandled ${err?.name ?? typeof exception} (${err?.code ?? 'no code'}) in request ${requestId}`);
    return { statusCode: 500, error: 'Internal Server Error', message: 'internal error', requestId };
  }
}

function fastifyMessage(e: { code?: string; message?: string }): string {
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body is too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type: send application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the JSON body is empty';
    default:
      return e.code?.startsWith('FST_ERR_CTP') || e.message?.includes('JSON') ? 'malformed JSON body' : 'bad request';
  }
}
