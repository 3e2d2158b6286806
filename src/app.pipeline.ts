import { type INestApplication, type Provider } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuditLog } from './audit-log/audit-log.service.js';
import { AuditInterceptor } from './audit-log/audit.interceptor.js';
import { AuditRouteGuard } from './audit-log/audit-route.guard.js';
import { JwtAuthGuard } from './auth/jwt-auth.guard.js';
import { RolesGuard } from './auth/roles.guard.js';
import type { AppConfig } from './config/index.js';
import { ErrorResponseFilter } from './http/error-response.filter.js';
import { RequestDeadlineInterceptor } from './http/request-deadline.interceptor.js';
import { createValidationPipe } from './http/validation.js';

/**
 * The request pipeline, registered here and nowhere else (ARCHITECTURE.md, "A request's way through").
 *
 * Guards, in this order: remember the route's audit action (so a denial is audited with it),
 * verify the JWT (401/429), check roles and MFA (403). Then the interceptors, outermost first:
 * AuditInterceptor (writes the success row; providers are applied while the app is created, so
 * it comes before the interceptor added in applyPipeline), then the request deadline. The
 * ValidationPipe checks every DTO; the ErrorResponseFilter turns every failure into the one error
 * body and audits failures of audited routes.
 */
export const PIPELINE_PROVIDERS: Provider[] = [
  { provide: APP_GUARD, useClass: AuditRouteGuard },
  { provide: APP_GUARD, useClass: JwtAuthGuard },
  { provide: APP_GUARD, useClass: RolesGuard },
  { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
];

/** The parts of the pipeline that take settings: called once by app.factory.ts after the app is created. */
export function applyPipeline(app: INestApplication, config: AppConfig): void {
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorResponseFilter(app.get(AuditLog), config.operations.retryAfterSeconds));
  app.useGlobalInterceptors(new RequestDeadlineInterceptor(config.operations.requestTimeoutMs));
}
