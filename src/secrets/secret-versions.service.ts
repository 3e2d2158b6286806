import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { AppConfig } from '../config/index.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { SecretCipher } from '../crypto/secret-cipher.service.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { SecretEntity } from './entities/secret.entity.js';
import { SecretVersionEntity, type VersionState } from './entities/secret-version.entity.js';
import { secretNotFound } from './secrets.errors.js';
import { SecretsRepository } from './secrets.repository.js';
import type { ServingRow } from './store/local-secret-store.js';
import { SecretStores } from './store/secret-stores.js';
import {
  type SecretStore,
  StoreConflictError,
  StoreNotFoundError,
  StorePrunedError,
  StoreUnavailableError,
} from './store/secret-store.port.js';

/**
 * Writing and reading versions: encryption, the store, fingerprints and version states. Callers
 * hold the secret's row lock (SELECT … FOR UPDATE) in `tx` when they write, which is what makes
 * version numbers gapless and a store-side conflict an orphan of a rolled-back write.
 */
@Injectable()
export class SecretVersions {
  private readonly logger = new Logger('SecretVersions');

  constructor(
    private readonly stores: SecretStores,
    private readonly cipher: SecretCipher,
    private readonly clock: Clock,
    private readonly uow: UnitOfWork,
    private readonly secrets: SecretsRepository,
    private readonly config: AppConfig,
  ) {}

  /**
   * Writes `plaintext` as the next version: `pending` stages it (promote later), `current` makes it
   * current at once (the old current becomes previous, or is destroyed with `revokePrevious`).
   */
  async append(
    tx: EntityManager,
    secret: SecretEntity,
    plaintext: string,
    actor: string,
    state: Extract<VersionState, 'current' | 'pending'>,
    options: { revokePrevious?: boolean } = {},
  ): Promise<SecretVersionEntity> {
    const [latest] = (await tx.query(
      'SELECT coalesce(max(version), 0)::int AS version, coalesce(max(store_version), 0)::int AS store_version FROM secret_versions WHERE secret_id = $1',
      [secret.id],
    )) as { version: number; store_version: number }[];
    const version = latest!.version + 1;
    const aad = { secretId: secret.id, version };
    const payload = this.encrypts(secret) ? this.cipher.seal(plaintext, aad) : plaintext;
    const storeVersion = await this.put(tx, secret, version, payload, latest!.store_version);
    const { fingerprint, keyId: fingerprintKeyId } = this.cipher.fingerprint(plaintext, aad);

    const now = this.clock.now();
    if (state === 'current') await this.demote(tx, secret, options.revokePrevious ?? false);
    const retireAt = options.revokePrevious ? null : this.retireAt(secret, now);
    const row = tx.getRepository(SecretVersionEntity).create({
      secretId: secret.id,
      version,
      state,
      storeVersion,
      keyId: this.cipher.keyIdOf(payload),
      fingerprint,
      fingerprintKeyId,
      createdAt: now,
      createdBy: actor,
      destroyedAt: null,
    });
    await tx.getRepository(SecretVersionEntity).insert(row);
    if (state === 'current') {
      await this.secrets.setCurrentVersion(tx, secret.id, version, storeVersion, now, retireAt);
      secret.previousRetireAt = retireAt;
      secret.currentVersion = version;
      secret.currentStoreVersion = storeVersion;
      secret.updatedAt = now;
    }
    return row;
  }

  /**
   * Writes version 1 of a secret created in this transaction, straight as current: nothing to
   * demote, no version to look up (half the statements of `append`). The caller inserted the
   * secret row with current_version 1 and current_store_version 1.
   */
  async writeFirst(tx: EntityManager, secret: SecretEntity, plaintext: string, actor: string): Promise<SecretVersionEntity> {
    const aad = { secretId: secret.id, version: 1 };
    const payload = this.encrypts(secret) ? this.cipher.seal(plaintext, aad) : plaintext;
    const storeVersion = await this.put(tx, secret, 1, payload, 0);
    if (storeVersion !== secret.currentStoreVersion) {
      await this.secrets.setCurrentStoreVersion(tx, secret.id, storeVersion);
      secret.currentStoreVersion = storeVersion;
    }
    const { fingerprint, keyId: fingerprintKeyId } = this.cipher.fingerprint(plaintext, aad);
    const row = tx.getRepository(SecretVersionEntity).create({
      secretId: secret.id,
      version: 1,
      state: 'current',
      storeVersion,
      keyId: this.cipher.keyIdOf(payload),
      fingerprint,
      fingerprintKeyId,
      createdAt: secret.createdAt,
      createdBy: actor,
      destroyedAt: null,
    });
    await tx.getRepository(SecretVersionEntity).insert(row);
    return row;
  }

  /**
   * Makes `row` the current version: current → previous (or destroyed with `revokePrevious`),
   * previous → deprecated. A partial unique index guarantees one current version per secret.
   */
  async promote(
    tx: EntityManager,
    secret: SecretEntity,
    row: SecretVersionEntity,
    options: { revokePrevious?: boolean } = {},
  ): Promise<void> {
    const now = this.clock.now();
    await this.demote(tx, secret, options.revokePrevious ?? false);
    await tx.query("UPDATE secret_versions SET state = 'current' WHERE secret_id = $1 AND version = $2", [secret.id, row.version]);
    row.state = 'current';
    const retireAt = options.revokePrevious ? null : this.retireAt(secret, now);
    await this.secrets.setCurrentVersion(tx, secret.id, row.version, row.storeVersion, now, retireAt);
    secret.previousRetireAt = retireAt;
    secret.currentVersion = row.version;
    secret.currentStoreVersion = row.storeVersion;
    secret.updatedAt = now;
  }

  /**
   * Makes room for a new current version: previous → deprecated, and current → previous (or
   * destroyed at once with `revoke`). A partial unique index keeps one current version.
   */
  private async demote(tx: EntityManager, secret: SecretEntity, revoke: boolean): Promise<void> {
    if (revoke) {
      await tx.query("UPDATE secret_versions SET state = 'deprecated' WHERE secret_id = $1 AND state = 'previous'", [secret.id]);
      const old = await tx.getRepository(SecretVersionEntity).findBy({ secretId: secret.id, state: 'current' });
      await this.destroy(tx, secret, old);
    } else {
      await tx.query(
        "UPDATE secret_versions SET state = CASE state WHEN 'current' THEN 'previous' ELSE 'deprecated' END WHERE secret_id = $1 AND state IN ('current', 'previous')",
        [secret.id],
      );
    }
  }

  /** The end of the grace period of a version demoted to previous now (per secret, else ROTATION_GRACE_PERIOD_HOURS). */
  private retireAt(secret: SecretEntity, now: Date): Date {
    const hours = secret.gracePeriodHours ?? this.config.rotation.gracePeriodHours;
    return new Date(now.getTime() + hours * 3_600_000);
  }

  /** A secret's staged versions (a staged rotation's; more than one only after a crash). */
  pendingOf(tx: EntityManager, secretId: string): Promise<SecretVersionEntity[]> {
    return tx.getRepository(SecretVersionEntity).findBy({ secretId, state: 'pending' });
  }

  find(tx: EntityManager, secretId: string, version: number): Promise<SecretVersionEntity> {
    return tx.getRepository(SecretVersionEntity).findOneByOrFail({ secretId, version });
  }

  /** The value of any version row, a pending one too (the store's errors are passed on as they are). */
  async valueOf(tx: EntityManager, secret: SecretEntity, row: SecretVersionEntity): Promise<string> {
    const payload = await this.stores.for(secret.store).get(tx, secret.id, row.storeVersion);
    return this.decode(secret, row.version, payload);
  }

  /** Destroys versions' payloads in the store and marks them destroyed. */
  async destroy(tx: EntityManager, secret: SecretEntity, rows: SecretVersionEntity[]): Promise<void> {
    if (rows.length === 0) return;
    await this.stores.for(secret.store).destroy(tx, secret.id, rows.map((r) => r.storeVersion));
    await tx.query(
      "UPDATE secret_versions SET state = 'destroyed', destroyed_at = $3 WHERE secret_id = $1 AND version = ANY($2::int[])",
      [secret.id, rows.map((r) => r.version), this.clock.now()],
    );
  }

  /**
   * A secret (deleted or not) and its versions that hold a value (neither destroyed nor
   * pending), oldest first: what an integrity check reads. Null when the secret is gone.
   */
  async withReadableVersions(tx: EntityManager, secretId: string): Promise<{ secret: SecretEntity; versions: SecretVersionEntity[] } | null> {
    const secret = await tx.getRepository(SecretEntity).findOneBy({ id: secretId });
    if (!secret) return null;
    const versions = await tx
      .getRepository(SecretVersionEntity)
      .createQueryBuilder('v')
      .where("v.secret_id = :id AND v.state NOT IN ('destroyed', 'pending')", { id: secret.id })
      .orderBy('v.version')
      .getMany();
    return { secret, versions };
  }

  /**
   * The read path (GET …/value and rotations): the secret, the requested version (default: the
   * current one) and, for the local store, its payload in one round trip (the local store's fast
   * path, since it reads that store's table). Returns null for an unknown or deleted secret;
   * `serve` turns the row into the value.
   */
  async locate(tx: EntityManager, secretId: string, version?: number): Promise<ServingRow | null> {
    return this.stores.local.locate(tx, secretId, version);
  }

  /** The current value of a live secret (404 when there is none). */
  async readCurrent(tx: EntityManager, secretId: string): Promise<string> {
    const found = await this.locate(tx, secretId);
    if (!found) throw secretNotFound(secretId);
    return this.serve(tx, found);
  }

  /** The value of a located version. Destroyed: 410; pending or unknown: 404. Vault payloads are fetched here. */
  async serve(tx: EntityManager, r: ServingRow, requested?: number): Promise<string> {
    if (r.version === null || r.state === 'pending') {
      throw new DomainError(DomainErrorCode.NotFound, `version ${requested ?? r.current_version} of secret ${r.id} not found`);
    }
    if (r.state === 'destroyed') throw new DomainError(DomainErrorCode.Gone, `version ${r.version} of secret ${r.id} was destroyed`);
    const payload = r.store === 'local' ? r.payload : await this.storeCall(() => this.stores.for(r.store).get(tx, r.id, r.store_version!));
    if (payload === null) {
      throw new DomainError(DomainErrorCode.Unprocessable, 'the store no longer holds this version; run an integrity check');
    }
    return this.decode({ id: r.id, store: r.store, encryptLocally: r.encrypt_locally }, r.version, payload);
  }

  /** Turns a stored payload back into the value (envelope or, for Vault without local encryption, plain). */
  decode(secret: Pick<SecretEntity, 'id' | 'store' | 'encryptLocally'>, version: number, payload: string): string {
    if (!this.encrypts(secret)) return payload;
    try {
      return this.cipher.open(payload, { secretId: secret.id, version });
    } catch {
      throw new DomainError(
        DomainErrorCode.Unprocessable,
        `version ${version} of secret ${secret.id} failed to decrypt (integrity failure or unknown key); run an integrity check`,
      );
    }
  }

  encrypts(secret: Pick<SecretEntity, 'store' | 'encryptLocally'>): boolean {
    return secret.store === 'local' || secret.encryptLocally;
  }

  /** Store errors become domain errors; the messages never carry values. */
  async storeCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof StoreUnavailableError) throw new DomainError(DomainErrorCode.StoreUnavailable, e.message);
      if (e instanceof StorePrunedError) {
        throw new DomainError(DomainErrorCode.Gone, `${e.message}; it is no longer readable (Vault keeps max_versions versions per key)`);
      }
      if (e instanceof StoreNotFoundError) {
        throw new DomainError(DomainErrorCode.Unprocessable, 'the store no longer holds this version; run an integrity check');
      }
      if (e instanceof StoreConflictError) throw new DomainError(DomainErrorCode.Conflict, e.message);
      throw e;
    }
  }

  private async put(tx: EntityManager, secret: SecretEntity, version: number, payload: string, expected: number): Promise<number> {
    const store = this.stores.for(secret.store);
    // Vault is outside the transaction: if it rolls back (a later statement fails, a bulk item's
    // savepoint, a Vault answer that came too late), what may have been written there is undone.
    if (store.kind === 'vault') this.uow.onRollback(() => this.undoPut(tx, store, secret.id, expected));
    const storeVersion = await this.write(tx, store, secret, version, payload, expected);
    const oldest = await store.oldestKept(tx, secret.id, storeVersion).catch(() => 1);
    if (oldest > 1) {
      // Vault trimmed the versions below `oldest` (max_versions): the history says so.
      await tx.query(
        "UPDATE secret_versions SET state = 'destroyed', destroyed_at = $3 WHERE secret_id = $1 AND store_version < $2 AND state NOT IN ('destroyed', 'current')",
        [secret.id, oldest, this.clock.now()],
      );
    }
    return storeVersion;
  }

  /**
   * Undoes a Vault write whose transaction rolled back; runs while the row lock is still held, so
   * every Vault version beyond `expected` is this write's. A brand-new key is deleted with its
   * metadata; on an existing key the versions written are destroyed. Never throws: what it cannot
   * undo is logged and the integrity check reports it as an orphan.
   */
  private async undoPut(tx: EntityManager, store: SecretStore, secretId: string, expected: number): Promise<void> {
    try {
      if (expected === 0) {
        await store.purge(tx, secretId);
        return;
      }
      const found = await store.describe(tx, secretId).catch(() => null);
      const written = found
        ? found.versions.filter((v) => v.storeVersion > expected && !v.destroyed).map((v) => v.storeVersion)
        : [expected + 1];
      await store.destroy(tx, secretId, written);
    } catch (e) {
      this.logger.warn(
        `could not undo the Vault write of secret ${secretId} after its transaction rolled back (${(e as Error).message}); the integrity check reports it as an orphan`,
      );
    }
  }

  private async write(
    tx: EntityManager,
    store: SecretStore,
    secret: SecretEntity,
    version: number,
    payload: string,
    expected: number,
  ): Promise<number> {
    const meta = { secretType: secret.secretType, tags: secret.tags, expectedStoreVersion: expected };
    return this.storeCall(async () => {
      try {
        return await store.put(tx, secret.id, version, payload, meta);
      } catch (e) {
        if (!(e instanceof StoreConflictError) || store.kind !== 'vault') throw e;
        // We hold the row lock, so store versions beyond ours were written by a write whose
        // PostgreSQL transaction rolled back: destroy those orphans and write after them.
        const found = await store.describe(tx, secret.id);
        if (!found || found.currentStoreVersion <= expected) throw e;
        const orphans = found.versions.filter((v) => v.storeVersion > expected && !v.destroyed).map((v) => v.storeVersion);
        await store.destroy(tx, secret.id, orphans);
        return store.put(tx, secret.id, version, payload, { ...meta, expectedStoreVersion: found.currentStoreVersion });
      }
    });
  }
}
