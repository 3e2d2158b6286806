import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { JwtStrategy } from './jwt.strategy.js';
import { MetricsModule } from '../metrics/metrics.module.js';

/**
 * Authentication: the JWT strategy and the failure limiter. Its guards (JwtAuthGuard, RolesGuard)
 * are registered with the rest of the request pipeline in src/app.pipeline.ts.
 */
@Module({
  imports: [PassportModule, MetricsModule],
  providers: [
    JwtStrategy,
    AuthFailureLimiter,
  ],
  exports: [AuthFailureLimiter],
})
export class AuthModule {}
