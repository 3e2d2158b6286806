import { Module } from '@nestjs/common';
import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
  PrometheusModule,
} from '@willsoto/nestjs-prometheus';
import { MetricName } from './metric-names.js';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.service.js';

const providers = [
  makeCounterProvider({ name: MetricName.SecretsCreated, help: 'Secrets created, by type', labelNames: ['type'] }),
  makeCounterProvider({ name: MetricName.SecretsAccessed, help: 'Secret values read' }),
  makeCounterProvider({ name: MetricName.SecretsRotatedSuccessfully, help: 'Rotations completed' }),
  makeCounterProvider({
    name: MetricName.SecretsRotationErrors,
    help: 'Rotations that failed for good, by operation',
    labelNames: ['operation'],
  }),
  makeCounterProvider({ name: MetricName.IntegrityChecksCompleted, help: 'Integrity checks completed' }),
  makeCounterProvider({
    name: MetricName.AuditEvents,
    help: 'Audit events written, by action and outcome',
    labelNames: ['action', 'outcome'],
  }),
  makeCounterProvider({
    name: MetricName.AuditWriteFailures,
    help: 'Audit rows that could not be written (the request they belonged to was refused with 503)',
  }),
  makeHistogramProvider({
    name: MetricName.HttpRequestDuration,
    help: 'HTTP request duration, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  }),
  makeGaugeProvider({
    name: MetricName.AuditChainValid,
    help: 'Fleet-wide: 1 when the newest full audit chain verification passed and no check failed since (absent before the first)',
  }),
  makeGaugeProvider({ name: MetricName.AuditUnsealedRows, help: 'Audit rows committed but not yet sealed into the hash chain' }),
  makeGaugeProvider({ name: MetricName.AuditSealLag, help: 'Seconds since the oldest unsealed audit row was written (0 when all are sealed)' }),
  makeGaugeProvider({ name: MetricName.VaultUp, help: '1 when Vault answered the last health check (absent without Vault)' }),
  // Fleet-wide gauges: their values are computed from PostgreSQL at scrape time (see FleetGauges).
  makeGaugeProvider({ name: MetricName.ExpiredSecrets, help: 'Live secrets past their expiry' }),
  makeGaugeProvider({
    name: MetricName.ConsumersOnPreviousVersion,
    help: 'Consumers (secret, sub) seen within CONSUMER_ACTIVE_DAYS whose last read was of a version older than the current one',
  }),
  makeGaugeProvider({ name: MetricName.SecretsTotal, help: 'Live secrets, by type and store', labelNames: ['type', 'store'] }),
  makeGaugeProvider({ name: MetricName.RotationOverdue, help: 'Live secrets whose next rotation is past' }),
  makeGaugeProvider({ name: MetricName.OldestRotationAge, help: 'Seconds since the least recently rotated live secret was rotated (or created)' }),
  makeGaugeProvider({
    name: MetricName.JobLastSuccess,
    help: 'Unix time of the last successful run of each scheduled job',
    labelNames: ['job'],
  }),
  makeGaugeProvider({ name: MetricName.SecurityFindings, help: 'Open security findings, by kind', labelNames: ['kind'] }),
  makeGaugeProvider({ name: MetricName.SecurityAuditScore, help: 'Score (0-100) of the latest security report' }),
  makeGaugeProvider({ name: MetricName.TasksRunning, help: 'Background tasks pending or running' }),
  makeGaugeProvider({
    name: MetricName.TasksOldestRunningAge,
    help: 'Seconds since the oldest pending or running background task was created (0 when none)',
  }),
];

@Module({
  imports: [PrometheusModule.register({ controller: MetricsController, defaultMetrics: { enabled: true } })],
  providers: [...providers, Metrics],
  exports: [...providers, Metrics],
})
export class MetricsModule {}
