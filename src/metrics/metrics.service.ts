import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { MetricName } from './metric-names.js';

/**
 * The per-process counters and the gauges that services set, behind one small surface. Labels
 * never carry a secret name, id or value: only types, operations, actions and outcomes.
 */
@Injectable()
export class Metrics {
  constructor(
    @InjectMetric(MetricName.SecretsCreated) private readonly created: Counter<'type'>,
    @InjectMetric(MetricName.SecretsAccessed) private readonly accessed: Counter,
    @InjectMetric(MetricName.SecretsRotatedSuccessfully) private readonly rotated: Counter,
    @InjectMetric(MetricName.SecretsRotationErrors) private readonly rotationErrors: Counter<'operation'>,
    @InjectMetric(MetricName.IntegrityChecksCompleted) private readonly integrityChecks: Counter,
    @InjectMetric(MetricName.AuditEvents) private readonly auditEvents: Counter<'action' | 'outcome'>,
    @InjectMetric(MetricName.HttpRequestDuration) readonly httpDuration: Histogram<'method' | 'route' | 'status'>,
    @InjectMetric(MetricName.AuditChainValid) private readonly chainValid: Gauge,
    @InjectMetric(MetricName.VaultUp) private readonly vaultUp: Gauge,
  ) {}

  secretCreated(type: string): void {
    this.created.inc({ type });
  }
  secretAccessed(): void {
    this.accessed.inc();
  }
  rotationSucceeded(): void {
    this.rotated.inc();
  }
  rotationFailed(operation: 'rotate' | 'apply' | 'verify' | 'bulk'): void {
    this.rotationErrors.inc({ operation });
  }
  integrityCheckCompleted(): void {
    this.integrityChecks.inc();
  }
  auditEvent(action: string, outcome: string): void {
    this.auditEvents.inc({ action, outcome });
  }
  /**
   * Verifications this process has stored. The fleet gauge audit_chain_valid is computed from
   * PostgreSQL (FleetGauges); a new local verdict only makes the next scrape read it afresh.
   */
  auditVerdicts = 0;

  setAuditChainValid(valid: boolean): void {
    this.auditVerdicts += 1;
    this.chainValid.set(valid ? 1 : 0);
  }
  setVaultUp(up: boolean): void {
    this.vaultUp.set(up ? 1 : 0);
  }
}
