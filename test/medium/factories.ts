import type { Actor } from '../../src/auth/auth.types.js';
import type { CreateSecretDto } from '../../src/secrets/dto/create-secret.dto.js';
import { SecretEntity } from '../../src/secrets/entities/secret.entity.js';
import type { SecretVersionEntity } from '../../src/secrets/entities/secret-version.entity.js';
import { SecretsRepository } from '../../src/secrets/secrets.repository.js';
import { SecretsService } from '../../src/secrets/secrets.service.js';
import { SecretVersions } from '../../src/secrets/secret-versions.service.js';
import { RotationEntity } from '../../src/rotation/entities/rotation.entity.js';
import type { MediumApp } from '../support/medium.js';

/** Small row factories for the medium tier: each makes one row the way the app would leave it. */

export const actor: Actor = { sub: 'medium-test', roles: ['admin'], mfa: true };
let n = 0;

/** A live secret with its first version (through SecretsService: the value is encrypted as in production). */
export async function secretRow(m: MediumApp, over: Partial<CreateSecretDto> = {}): Promise<SecretEntity> {
  const dto = { name: `medium_${process.pid}_${++n}`, secret_type: 'API_KEY', ...over } as CreateSecretDto;
  const created = await m.get(SecretsService).create(dto, actor);
  return m.uow.manager().getRepository(SecretEntity).findOneByOrFail({ id: created.id });
}

/**
 * An unfinished rotation record and the secret marked in_progress, as a start that committed
 * leaves them; `updatedAt` is its heartbeat (default: now by the test clock).
 */
export async function rotationRow(m: MediumApp, secret: SecretEntity, over: Partial<RotationEntity> = {}): Promise<RotationEntity> {
  const now = m.clock.now();
  const row = Object.assign(new RotationEntity(), {
    id: `rot_medium_${process.pid}_${++n}`,
    secretId: secret.id,
    status: 'in_progress',
    trigger: 'manual',
    triggeredBy: actor.sub,
    rotator: secret.rotator?.kind ?? 'generated',
    emergency: false,
    reason: null,
    attempts: 0,
    lastError: null,
    failureCause: null,
    fromVersion: secret.currentVersion,
    toVersion: null,
    createdAt: now,
    startedAt: now,
    updatedAt: now,
    finishedAt: null,
    ...over,
  } satisfies RotationEntity);
  await m.uow.run(async (tx) => {
    await tx.getRepository(RotationEntity).insert(row);
    if (row.status === 'in_progress' || row.status === 'pending') await m.get(SecretsRepository).markRotationStarted(tx, secret.id);
  });
  return row;
}

/** A pending version of `value` staged by attempt `attempt` of `rotation` (what staging commits). */
export async function pendingRow(m: MediumApp, rotation: RotationEntity, value: string, attempt: number): Promise<SecretVersionEntity> {
  return m.uow.run(async (tx) => {
    const secret = (await m.get(SecretsRepository).lock(tx, rotation.secretId))!;
    const row = await m.get(SecretVersions).append(tx, secret, value, actor.sub, 'pending');
    await tx.getRepository(RotationEntity).update({ id: rotation.id }, { attempts: attempt, toVersion: row.version });
    return row;
  });
}

export const rotationById = (m: MediumApp, id: string) => m.uow.manager().getRepository(RotationEntity).findOneByOrFail({ id });
export const secretById = (m: MediumApp, id: string) => m.uow.manager().getRepository(SecretEntity).findOneByOrFail({ id });
export const currentValue = (m: MediumApp, id: string) => m.get(SecretVersions).readCurrent(m.uow.manager(), id);

/** `version:state` of every version, oldest first. */
export async function versionStates(m: MediumApp, secretId: string): Promise<string[]> {
  const rows = await m.sql<{ version: number; state: string }>('SELECT version, state FROM secret_versions WHERE secret_id = $1 ORDER BY version', [secretId]);
  return rows.map((r) => `${r.version}:${r.state}`);
}
