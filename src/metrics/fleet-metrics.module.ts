import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module.js';
import { FleetGauges } from './fleet-gauges.js';

/** The fleet-wide gauges (they read PostgreSQL and the secret stores at scrape time). */
@Module({ imports: [SecretsModule], providers: [FleetGauges] })
export class FleetMetricsModule {}
