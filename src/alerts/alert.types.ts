export type AlertSeverity = 'info' | 'warning' | 'critical';

export const AlertKind = {
  RotationFailed: 'rotation_failed',
  SecretsExpired: 'secrets_expired',
  SecretExpiring: 'secret_expiring',
  IntegrityFailure: 'integrity_failure',
  AuditChainBroken: 'audit_chain_broken',
  AccessPattern: 'access_pattern',
  EmergencyRotation: 'emergency_rotation',
} as const;
export type AlertKind = (typeof AlertKind)[keyof typeof AlertKind];

/** A security alert as raised. `details` are value-free facts (ids, names, counts, reasons). */
export interface AlertInput {
  kind: AlertKind;
  severity: AlertSeverity;
  summary: string;
  details: Record<string, string | number | boolean | null | string[]>;
  /** Alerts with the same key are raised once (e.g. one expiry warning per secret per day). */
  dedupeKey?: string;
}
