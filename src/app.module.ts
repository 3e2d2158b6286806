import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AlertsModule } from './alerts/alerts.module.js';
import { AuditLogModule } from './audit-log/audit-log.module.js';
import { AuditModule } from './audit/audit.module.js';
import { PIPELINE_PROVIDERS } from './app.pipeline.js';
import { BackupsModule } from './backups/backups.module.js';
import { AuthModule } from './auth/auth.module.js';
import { Clock } from './clock/clock.js';
import { ClockModule } from './clock/clock.module.js';
import { loggerParams } from './common/logging.js';
import { AppConfig, ConfigModule, RuntimeKeys } from './config/index.js';
import { SCHEMA } from './composition/schema.js';
import { CryptoModule } from './crypto/crypto.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { IncidentsModule } from './incidents/incidents.module.js';
import { IntegrityModule } from './integrity/integrity.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { FleetMetricsModule } from './metrics/fleet-metrics.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PoliciesModule } from './policies/policies.module.js';
import { ReportsModule } from './reports/reports.module.js';
import { RotationModule } from './rotation/rotation.module.js';
import { SecretsModule } from './secrets/secrets.module.js';
import { TasksModule } from './tasks/tasks.module.js';

export interface AppModuleOptions {
  config: AppConfig;
  keys: RuntimeKeys;
  databaseUrl: string;
  clock?: Clock;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    const { config, keys } = options;
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, keys),
        ClockModule.forRoot(options.clock),
        LoggerModule.forRoot(loggerParams(config)),
        // DATABASE_CA_FILE is for an external PostgreSQL, not the embedded one on loopback.
        // Named prepared statements only on an external server: the embedded one is one shared backend.
        DatabaseModule.forRoot(
          SCHEMA,
          options.databaseUrl,
          config.database.poolSize,
          config.operations,
          config.database.url ? config.tls.databaseCaFile : undefined,
          config.database.url !== undefined && config.database.preparedStatements,
        ),
        MetricsModule,
        CryptoModule,
        AuditLogModule,
        AuditModule,
        AuthModule,
        AlertsModule,
        TasksModule,
        JobsModule,
        PoliciesModule,
        SecretsModule,
        RotationModule,
        IncidentsModule,
        ReportsModule,
        IntegrityModule,
        HealthModule,
        FleetMetricsModule,
        BackupsModule,
      ],
      // The request pipeline's guards and interceptor (src/app.pipeline.ts, which also holds the pipe,
      // filter and deadline that app.factory.ts applies).
      providers: PIPELINE_PROVIDERS,
    };
  }
}
