import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AuditRouteGuard } from '../audit-log/audit-route.guard.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtStrategy } from './jwt.strategy.js';
import { RolesGuard } from './roles.guard.js';

/**
 * Authentication and authorization for every route, as global guards in this order: remember the
 * route's audit action, verify the JWT (401/429), check roles and MFA (403). No database work.
 */
@Module({
  imports: [PassportModule],
  providers: [
    JwtStrategy,
    AuthFailureLimiter,
    { provide: APP_GUARD, useClass: AuditRouteGuard },
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
})
export class AuthModule {}
