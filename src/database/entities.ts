import { AuditCheckpointEntity } from '../audit/entities/audit-checkpoint.entity.js';
import { AuditEventEntity } from '../audit/entities/audit-event.entity.js';
import { SecretVersionEntity } from '../secrets/entities/secret-version.entity.js';
import { SecretEntity } from '../secrets/entities/secret.entity.js';
import { LocalPayloadEntity } from '../secrets/store/local-payload.entity.js';
import { RotationEntity } from '../rotation/entities/rotation.entity.js';
import { TaskItemEntity } from '../tasks/entities/task-item.entity.js';
import { TaskEntity } from '../tasks/entities/task.entity.js';

/** Every entity of the schema; migrations must describe exactly these (see schema-drift test). */
export const ENTITIES = [
  SecretEntity,
  SecretVersionEntity,
  LocalPayloadEntity,
  AuditEventEntity,
  AuditCheckpointEntity,
  TaskEntity,
  TaskItemEntity,
  RotationEntity,
];
