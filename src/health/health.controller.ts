import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  type HealthIndicatorFunction,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../common/public.decorator.js';
import type { VaultConnection } from '../vault/vault-client.js';
import { VAULT_CONNECTION } from '../vault/vault.module.js';

/** Kubernetes probes: unauthenticated, cheap, no audit rows. */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    /** Set when USE_VAULT=true: Vault is the store of new secrets, so readiness needs it. */
    @Inject(VAULT_CONNECTION) private readonly vault: VaultConnection | null,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database (and Vault when USE_VAULT) answer' })
  async ready() {
    const checks: HealthIndicatorFunction[] = [() => this.db.pingCheck('database', { timeout: 2000 })];
    const vault = this.vault;
    if (vault) {
      checks.push(async () => {
        const h = await vault.health();
        const indicator = this.indicators.check('vault');
        return h.up ? indicator.up() : indicator.down({ message: h.detail ?? 'Vault is not available' });
      });
    }
    return this.health.check(checks).catch((e: unknown) => {
      if (!(e instanceof ServiceUnavailableException)) throw e;
      // Say what is down; only Vault's own detail is passed on (it never carries a token or a value).
      const down = (e.getResponse() as { error?: Record<string, { message?: unknown }> }).error ?? {};
      const why = Object.entries(down).map(([name, d]) => (name === 'vault' && typeof d?.message === 'string' ? `vault: ${d.message}` : `${name}: down`));
      throw new ServiceUnavailableException(`not ready (${why.join('; ') || 'a dependency is down'})`);
    });
  }
}
