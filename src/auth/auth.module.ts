import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { JwtStrategy } from './jwt.strategy.js';
import { SubjectLockouts } from './subject-lockouts.js';
import { MetricsModule } from '../metrics/metrics.module.js';

/**
 * Authentication: the JWT strategy, the failure limiter and the subject lockouts (`subject_lockouts`). Its guards (JwtAuthGuard, RolesGuard)
 * are registered with the rest of the request pipeline in src/app.pipeline.ts.
 */
@Module({
  imports: [PassportModule, MetricsModule],
  providers: [
    JwtStrategy,
    AuthFailureLimiter,
    SubjectLockouts,
  ],
  exports: [AuthFailureLimiter, SubjectLockouts],
})
export class AuthModule {}
