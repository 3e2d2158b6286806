import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import { annotateAudit } from '../audit-log/audit-scope.js';
import type { Actor } from '../auth/auth.types.js';
import { SecretCipher } from '../crypto/secret-cipher.service.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { TaskAcceptedDto } from '../tasks/dto/task-status.dto.js';
import type { TaskEntity } from '../tasks/entities/task.entity.js';
import type { ItemContext } from '../tasks/task-handler.js';
import { TaskRunner } from '../tasks/task-runner.js';
import { TasksService } from '../tasks/tasks.service.js';
import { SecretEntity } from './entities/secret.entity.js';
import { SecretVersionEntity } from './entities/secret-version.entity.js';
import { KeyCheck } from './key-check.js';
import { lockSecretRow } from './secrets.repository.js';
import { SecretVersions } from './secret-versions.service.js';
import { SecretStores } from './store/secret-stores.js';

export const KEY_REWRAP_TASK = 'key_rewrap';

/**
 * Re-wraps every data key under the current LOCAL_ENCRYPTION_KEY (and re-keys fingerprints), one
 * secret per transaction, so older keys can then leave LOCAL_ENCRYPTION_KEYS_PREVIOUS. The value
 * ciphertext never changes, and until a secret's transaction commits its old rows stay valid, so
 * no secret is unreadable at any moment. In Vault a re-wrapped version is a new KV version; the
 * superseded one is destroyed only after the commit.
 */
@Injectable()
export class KeyRewrapService {
  private readonly logger = new Logger(KeyRewrapService.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly tasks: TasksService,
    private readonly runner: TaskRunner,
    private readonly stores: SecretStores,
    private readonly versions: SecretVersions,
    private readonly cipher: SecretCipher,
    private readonly audit: AuditLog,
    private readonly keyCheck: KeyCheck,
  ) {}

  async start(actor: Actor): Promise<TaskAcceptedDto> {
    const current = this.cipher.currentKeyId;
    const rows = (await this.uow.manager().query(
      `SELECT DISTINCT v.secret_id FROM secret_versions v
       WHERE v.state NOT IN ('destroyed', 'pending') AND (v.key_id <> $1 OR v.fingerprint_key_id <> $1)
       ORDER BY v.secret_id`,
      [current],
    )) as { secret_id: string }[];
    annotateAudit({ details: { current_key_id: current, secrets: rows.length } });
    const accepted = await this.tasks.create(KEY_REWRAP_TASK, { key_id: current }, rows.map((r) => r.secret_id), actor.sub);
    this.runner.nudge();
    return accepted;
  }

  /** One task item: re-wraps one secret's versions (KeyRewrapTaskHandler). */
  async rewrapItem(ctx: ItemContext): Promise<void> {
    const superseded: { secret: SecretEntity; storeVersion: number }[] = [];
    await this.uow.run(async (tx) => {
      const secret = await lockSecretRow(tx, ctx.item.target, { deleted: 'any' });
      if (secret) superseded.push(...(await this.rewrapSecret(tx, secret)));
      await ctx.markDone(tx);
    });
    for (const { secret, storeVersion } of superseded) {
      await this.stores
        .for(secret.store)
        .destroy(this.uow.manager(), secret.id, [storeVersion])
        .catch((e: Error) => this.logger.warn(`could not destroy superseded Vault version of ${secret.id}: ${e.message}`));
    }
  }

  /** After the last item: forgets unused keys and records the audit row. */
  async completeRewrap(tx: EntityManager, task: TaskEntity): Promise<Record<string, unknown>> {
    // Keys no stored version needs any more leave key_checks, so they may leave the ring.
    await this.keyCheck.forgetUnused(tx);
    const result = { key_id: String(task.params.key_id), secrets: task.done, failed: task.failed };
    await this.audit.record({
      action: AuditAction.KeyRewrapped,
      outcome: task.failed > 0 ? 'error' : 'success',
      actor: task.createdBy,
      roles: ['admin'],
      details: { task_id: task.id, key_id: result.key_id, secrets: task.done, failed: task.failed },
    });
    return result;
  }

  private async rewrapSecret(tx: EntityManager, secret: SecretEntity): Promise<{ secret: SecretEntity; storeVersion: number }[]> {
    const current = this.cipher.currentKeyId;
    const store = this.stores.for(secret.store);
    const rows = await tx
      .getRepository(SecretVersionEntity)
      .createQueryBuilder('v')
      .where("v.secret_id = :id AND v.state NOT IN ('destroyed', 'pending') AND (v.key_id <> :k OR v.fingerprint_key_id <> :k)", { id: secret.id, k: current })
      .orderBy('v.version')
      .getMany();
    const superseded: { secret: SecretEntity; storeVersion: number }[] = [];
    for (const row of rows) {
      const aad = { secretId: secret.id, version: row.version };
      const payload = await this.versions.storeCall(() => store.get(tx, secret.id, row.storeVersion));
      const plaintext = this.versions.decode(secret, row.version, payload);
      const { fingerprint, keyId: fingerprintKeyId } = this.cipher.fingerprint(plaintext, aad);
      let storeVersion = row.storeVersion;
      let keyId = row.keyId;
      if (this.versions.encrypts(secret) && row.keyId !== current) {
        const rewrapped = this.cipher.rewrap(payload);
        keyId = current;
        const [latest] = (await tx.query('SELECT max(store_version)::int AS v FROM secret_versions WHERE secret_id = $1', [secret.id])) as { v: number }[];
        storeVersion = await this.versions.storeCall(() =>
          store.replacePayload(tx, secret.id, row.version, row.storeVersion, rewrapped, {
            secretType: secret.secretType,
            tags: secret.tags,
            expectedStoreVersion: latest!.v,
          }),
        );
        if (storeVersion !== row.storeVersion) {
          // Written as a new store version (Vault): the old one is destroyed after the commit.
          superseded.push({ secret, storeVersion: row.storeVersion });
          if (row.state === 'current') {
            await tx.query('UPDATE secrets SET current_store_version = $2 WHERE id = $1', [secret.id, storeVersion]);
          }
        }
      }
      await tx.query(
        'UPDATE secret_versions SET key_id = $3, fingerprint = $4, fingerprint_key_id = $5, store_version = $6 WHERE secret_id = $1 AND version = $2',
        [secret.id, row.version, keyId, fingerprint, fingerprintKeyId, storeVersion],
      );
    }
    return superseded;
  }
}
