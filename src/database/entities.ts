import { AlertDeliveryEntity } from '../alerts/entities/alert-delivery.entity.js';
import { AlertEntity } from '../alerts/entities/alert.entity.js';
import { SecurityFindingEntity } from '../audit/findings/security-finding.entity.js';
import { IntegrityCheckEntity } from '../integrity/entities/integrity-check.entity.js';
import { IntegrityFailureEntity } from '../integrity/entities/integrity-failure.entity.js';
import { ReportEntity } from '../reports/entities/report.entity.js';
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
  AuthFailureWindowEntity,
  KeyCheckEntity,
  AccessPolicyEntity,
  AccessPoliciesVersionEntity,
];
