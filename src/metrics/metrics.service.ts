import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { SECRET_TYPES } from '../crypto/index.js';
import { MetricName } from './metric-names.js';

export const ROTATION_OPERATIONS = ['rotate', 'apply', 'verify', 'bulk'] as const;
export type RotationOperation = (typeof ROTATION_OPERATIONS)[number];

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
    @InjectMetric(MetricName.AuditWriteFailures) private readonly auditWriteFailures: Counter,
  ) {
    // A labelled series that first appears at 1 hides that first increase from increase() and
    // rate() (RotationFailure would miss one failure): every known label value starts at 0.
    for (const type of SECRET_TYPES) this.created.inc({ type }, 0);
    for (const operation of ROTATION_OPERATIONS) this.rotationErrors.inc({ operation }, 0);
  }

  /** Audit series exported from 0 (the audit writer names them: it owns the action catalogue). */
  auditEventsFromZero(series: readonly (readonly [action: string, outcome: string])[]): void {
    for (const [action, outcome] of series) this.auditEvents.inc({ action, outcome }, 0);
  }

  secretCreated(type: string): void {
    this.created.inc({ type });
  }
  secretAccessed(): void {
    this.accessed.inc();
  }
  rotationSucceeded(): void {
    this.rotated.inc();
  }
  rotationFailed(operation: RotationOperation): void {
    this.rotationErrors.inc({ operation });
  }
  integrityCheckCompleted(): void {
    this.integrityChecks.inc();
  }
  auditEvent(action: string, outcome: string): void {
    this.auditEvents.inc({ action, outcome });
  }
  /** Audit rows that failed to be written (each one refused its request). */
  auditWriteFailed(rows = 1): void {
    this.auditWriteFailures.inc(rows);
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
