import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { type Observable, throwError, timeout } from 'rxjs';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';

/**
 * The request deadline (REQUEST_TIMEOUT_MS): a request that has not answered by then gets 503
 * with Retry-After instead of holding the client. Registered first, so it is the outermost
 * interceptor and its clock includes the audit row. The database timeouts normally answer first;
 * this bounds whatever they do not (a slow Vault, several slow statements in a row).
 */
@Injectable()
export class RequestDeadlineInterceptor implements NestInterceptor {
  constructor(private readonly timeoutMs: number) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      timeout({
        first: this.timeoutMs,
        with: () =>
          throwError(
            () =>
              new DomainError(
                DomainErrorCode.RequestTimeout,
                `the request did not finish within ${this.timeoutMs} ms: the database or the secret store is slow or unavailable; retry shortly`,
              ),
          ),
      }),
    );
  }
}
