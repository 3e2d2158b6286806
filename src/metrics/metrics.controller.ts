import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, Res, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import { AppConfig } from '../config/index.js';
import { Public } from '../common/public.decorator.js';

/** `/metrics` for Prometheus; with METRICS_TOKEN set it needs `Authorization: Bearer <token>`. */
@ApiExcludeController()
@Public()
@Controller()
export class MetricsController extends PrometheusController {
  constructor(private readonly config: AppConfig) {
    super();
  }

  @Get()
  override async index(@Res({ passthrough: true }) response: unknown, @Headers('authorization') authorization?: string) {
    const expected = this.config.metrics.token;
    if (expected) {
      const given = Buffer.from(authorization?.replace(/^Bearer\s+/i, '') ?? '');
      const want = Buffer.from(expected);
      if (given.length !== want.length || !timingSafeEqual(given, want)) {
        throw new UnauthorizedException('a valid metrics token is required');
      }
    }
    return super.index(response);
  }
}
