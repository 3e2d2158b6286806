import { Module } from '@nestjs/common';
import { VaultModule } from '../vault/vault.module.js';
import { FleetGauges } from './fleet-gauges.js';
import { MetricsModule } from './metrics.module.js';

/** The fleet-wide gauges (they read PostgreSQL and ask Vault at scrape time). */
@Module({ imports: [VaultModule, MetricsModule], providers: [FleetGauges] })
export class FleetMetricsModule {}
