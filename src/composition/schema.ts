import { AlertDeliveryEntity } from '../alerts/entities/alert-delivery.entity.js';
import { AlertEntity } from '../alerts/entities/alert.entity.js';
import { SecurityFindingEntity } from '../audit/findings/security-finding.entity.js';
import { IntegrityCheckEntity } from '../integrity/entities/integrity-check.entity.js';
import { IntegrityFailureEntity } from '../integrity/entities/integrity-failure.entity.js';
import { ReportEntity } from '../reports/entities/report.entity.js';
import { AccessReviewSignoffEntity } from '../reports/entities/access-review-signoff.entity.js';
import { AuditCheckpointEntity } from '../audit/entities/audit-checkpoint.entity.js';
import { AuditEventEntity } from '../audit-log/entities/audit-event.entity.js';
import { AuditVerificationEntity } from '../audit/entities/audit-verification.entity.js';
import { SecretVersionEntity } from '../secrets/entities/secret-version.entity.js';
import { SecretEntity } from '../secrets/entities/secret.entity.js';
import { KeyCheckEntity } from '../secrets/entities/key-check.entity.js';
import { JobRunEntity } from '../jobs/entities/job-run.entity.js';
import { LocalPayloadEntity } from '../secrets/store/local-payload.entity.js';
import { RotationEntity } from '../rotation/entities/rotation.entity.js';
import { TaskItemEntity } from '../tasks/entities/task-item.entity.js';
import { TaskEntity } from '../tasks/entities/task.entity.js';
import { AuthFailureWindowEntity } from '../auth/entities/auth-failure-window.entity.js';
import { AccessPolicyEntity } from '../policies/entities/access-policy.entity.js';
import { AccessPoliciesVersionEntity } from '../policies/entities/access-policy-version.entity.js';
import { SecretConsumerEntity } from '../secrets/entities/secret-consumer.entity.js';
import { SubjectLockoutEntity } from '../auth/entities/subject-lockout.entity.js';
import { IncidentEntity } from '../incidents/entities/incident.entity.js';
import { IncidentSecretEntity } from '../incidents/entities/incident-secret.entity.js';
import type { DatabaseSchema } from '../database/data-source-options.js';
import { Init1796002882711 } from '../database/migrations/1796002882711-Init.js';
import { AuditAppendOnly1796100000000 } from '../database/migrations/1796100000000-AuditAppendOnly.js';
import { AuthFailureWindows1796200000003 } from '../database/migrations/1796200000003-AuthFailureWindows.js';
import { ReportDedupKey1796200000004 } from '../database/migrations/1796200000004-ReportDedupKey.js';
import { KeyChecks1796200000005 } from '../database/migrations/1796200000005-KeyChecks.js';
import { AuditSealer1796200000008 } from '../database/migrations/1796200000008-AuditSealer.js';
import { RotationFailureCause1796200000014 } from '../database/migrations/1796200000014-RotationFailureCause.js';
import { AccessPolicies1796300000021 } from '../database/migrations/1796300000021-AccessPolicies.js';
import { SecretConsumers1796400000031 } from '../database/migrations/1796400000031-SecretConsumers.js';
import { SecretGracePeriod1796400000032 } from '../database/migrations/1796400000032-SecretGracePeriod.js';
import { AccessReviewSignoffs1796500000051 } from '../database/migrations/1796500000051-AccessReviewSignoffs.js';
import { Incidents1796600000061 } from '../database/migrations/1796600000061-Incidents.js';
import { AuditSealCheck1796700000071 } from '../database/migrations/1796700000071-AuditSealCheck.js';

/**
 * The schema, listed here at the composition root rather than in database/, so infrastructure
 * never imports a feature: each feature owns its entities, this file only gathers them.
 */

/** Every entity of the schema; migrations must describe exactly these (see schema-drift test). */
export const ENTITIES = [
  SecretEntity,
  SecretVersionEntity,
  LocalPayloadEntity,
  AuditEventEntity,
  AuditCheckpointEntity,
  AuditVerificationEntity,
  TaskEntity,
  TaskItemEntity,
  RotationEntity,
  JobRunEntity,
  AlertEntity,
  AlertDeliveryEntity,
  SecurityFindingEntity,
  IntegrityCheckEntity,
  IntegrityFailureEntity,
  ReportEntity,
  AccessReviewSignoffEntity,
  AuthFailureWindowEntity,
  KeyCheckEntity,
  AccessPolicyEntity,
  AccessPoliciesVersionEntity,
  SecretConsumerEntity,
  SubjectLockoutEntity,
  IncidentEntity,
  IncidentSecretEntity,
];

/** Migrations in order. Generate new ones with `npm run migration:generate -- <Name>`. */
export const MIGRATIONS: Function[] = [
  Init1796002882711,
  AuditAppendOnly1796100000000,
  AuthFailureWindows1796200000003,
  ReportDedupKey1796200000004,
  KeyChecks1796200000005,
  AuditSealer1796200000008,
  RotationFailureCause1796200000014,
  AccessPolicies1796300000021,
  SecretConsumers1796400000031,
  SecretGracePeriod1796400000032,
  AccessReviewSignoffs1796500000051,
  Incidents1796600000061,
  AuditSealCheck1796700000071,
];

/** What every DataSource of the service (app, CLIs, tests) maps and migrates. */
export const SCHEMA: DatabaseSchema = { entities: ENTITIES, migrations: MIGRATIONS };
