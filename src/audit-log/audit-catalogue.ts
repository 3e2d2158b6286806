/**
 * The typed catalogue of audit actions. Every audit row names one of these; nothing spells an
 * action twice.
 */
export const AuditAction = {
  SecretCreated: 'secret.created',
  SecretListed: 'secret.listed',
  SecretRead: 'secret.read',
  SecretValueRead: 'secret.value_read',
  SecretVersionsRead: 'secret.versions_read',
  SecretConsumersRead: 'secret.consumers_read',
  SecretVersionRetired: 'secret.version_retired',
  SecretUpdated: 'secret.updated',
  SecretValueUpdated: 'secret.value_updated',
  SecretRotated: 'secret.rotated',
  SecretRotationRequested: 'secret.rotation_requested',
  SecretRotationFailed: 'secret.rotation_failed',
  SecretRotationChecked: 'secret.rotation_checked',
  SecretRotationsRead: 'secret.rotations_read',
  SecretDeleted: 'secret.deleted',
  SecretRestored: 'secret.restored',
  SecretPurged: 'secret.purged',
  SecretsBulkCreated: 'secret.bulk_created',
  SecretsBulkRotationStarted: 'secret.bulk_rotation_started',
  SecretTypesRead: 'secret.types_read',
  SecretStatsRead: 'secret.stats_read',
  AuthDenied: 'auth.denied',
  AuthForbidden: 'auth.forbidden',
  AuthRateLimited: 'auth.rate_limited',
  ReportGenerated: 'report.generated',
  ReportRead: 'report.read',
  ReportDownloaded: 'report.downloaded',
  ReportsListed: 'report.listed',
  AccessReviewSignedOff: 'report.access_review_signed_off',
  AuditEventsRead: 'audit.events_read',
  AuditExported: 'audit.exported',
  AuditVerified: 'audit.verified',
  AuditPruned: 'audit.pruned',
  AuditPublicKeyRead: 'audit.public_key_read',
  IntegrityCheckRequested: 'integrity.check_requested',
  IntegrityChecked: 'integrity.checked',
  TaskStatusRead: 'task.status_read',
  TasksListed: 'task.listed',
  JobRun: 'job.run',
  JobRunRequested: 'job.run_requested',
  JobsRead: 'job.runs_read',
  KeyRewrapRequested: 'key.rewrap_requested',
  KeyRewrapped: 'key.rewrapped',
  AlertsRead: 'alert.list_read',
  FindingsRead: 'finding.list_read',
  BackupCreated: 'backup.created',
  BackupsListed: 'backup.listed',
  BackupRestored: 'backup.restored',
  PolicyCreated: 'policy.created',
  PolicyUpdated: 'policy.updated',
  PolicyDeleted: 'policy.deleted',
  PoliciesListed: 'policy.listed',
  PolicyRead: 'policy.read',
  PolicyExplained: 'policy.explained',
  IncidentOpened: 'incident.opened',
  IncidentsListed: 'incident.listed',
  IncidentRead: 'incident.read',
  IncidentLockoutLifted: 'incident.lockout_lifted',
  IncidentResponseCompleted: 'incident.response_completed',
  IncidentSecretFlagged: 'incident.secret_flagged',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

export type AuditOutcome = 'success' | 'denied' | 'error';

/** One event as callers describe it; the audit log adds sequence, time and hashes. */
export interface AuditEventInput {
  action: AuditAction;
  outcome: AuditOutcome;
  actor: string;
  roles: string[];
  secretId?: string | null;
  secretName?: string | null;
  requestId?: string | null;
  clientIp?: string | null;
  userAgent?: string | null;
  /** Value-free context: status code, reason, counts, task id. Never a secret value. */
  details?: Record<string, string | number | boolean | null>;
  occurredAt?: Date;
}
