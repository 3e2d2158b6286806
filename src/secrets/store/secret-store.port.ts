import type { EntityManager } from 'typeorm';

export type StoreKind = 'local' | 'vault';

/** What the store is told about a version besides its payload (never the value itself). */
export interface PutMeta {
  secretType: string;
  tags: Record<string, string>;
  /**
   * The store version the caller believes is current: the write must fail with
   * `StoreConflictError` if the store disagrees (Vault check-and-set). 0 means "no version yet".
   */
  expectedStoreVersion: number;
}

/** One stored version as the store itself sees it (for integrity checks against PostgreSQL). */
export interface StoreVersionInfo {
  storeVersion: number;
  destroyed: boolean;
  deleted: boolean;
}

export interface StoreDescription {
  currentStoreVersion: number;
  versions: StoreVersionInfo[];
}

export interface StoreHealth {
  up: boolean;
  /** Human-readable reason when down (never contains a value or a token). */
  detail?: string;
}

/**
 * Port for where secret payloads live. A payload is an opaque string: an envelope produced by the
 * crypto module (local store always, Vault store unless `encrypt_locally` is false) or the plain value (Vault
 * store without local encryption). Metadata always lives in PostgreSQL; only payloads live here.
 *
 * Every method receives the caller's transaction manager: the local store writes through it so the
 * payload commits atomically with the metadata; the Vault store ignores it.
 */
export abstract class SecretStore {
  abstract readonly kind: StoreKind;

  /** Stores a payload as a new version of `secretId`. Returns the store's own version number. */
  abstract put(
    tx: EntityManager,
    secretId: string,
    version: number,
    payload: string,
    meta: PutMeta,
  ): Promise<number>;

  /** Reads the payload stored as `storeVersion`. Throws `StoreNotFoundError` when it is gone. */
  abstract get(tx: EntityManager, secretId: string, storeVersion: number): Promise<string>;

  /** Irrecoverably destroys the given versions' payloads (metadata rows stay in PostgreSQL). */
  abstract destroy(tx: EntityManager, secretId: string, storeVersions: number[]): Promise<void>;

  /** Removes every version and all store-side metadata of the secret. Idempotent. */
  abstract purge(tx: EntityManager, secretId: string): Promise<void>;

  /** What the store holds for the secret (null when it holds nothing). */
  abstract describe(tx: EntityManager, secretId: string): Promise<StoreDescription | null>;

  abstract health(): Promise<StoreHealth>;

  /**
   * After `storeVersion` was written: the oldest store version the store still keeps for the
   * secret. Stores that keep every version answer 1; Vault trims beyond `max_versions`.
   */
  async oldestKept(_tx: EntityManager, _secretId: string, _storeVersion: number): Promise<number> {
    return 1;
  }

  /**
   * The secret ids the store holds keys for, so the integrity check can find keys no secret row
   * names (creates whose transaction rolled back). Null for a store that cannot hold such keys
   * because it writes in the caller's transaction (local).
   */
  async listIds(): Promise<string[] | null> {
    return null;
  }

  /** When the store created the secret's key; null when it holds nothing or cannot say. */
  async keyCreatedAt(_secretId: string): Promise<Date | null> {
    return null;
  }

  /** Where a secret's payloads live, as the store's own tools name it (for messages and reports). */
  displayPath(secretId: string): string {
    return secretId;
  }

  /**
   * Stores `payload` (the same value, its data key re-wrapped) in place of the version held as
   * `storeVersion`; returns the store version that holds it now. By default versions are
   * immutable (Vault): it is written as a new store version with check-and-set on `meta`, and the
   * caller destroys the superseded one once its transaction commits. A store that can replace a
   * payload in place does so and returns `storeVersion`.
   */
  async replacePayload(tx: EntityManager, secretId: string, version: number, _storeVersion: number, payload: string, meta: PutMeta): Promise<number> {
    return this.put(tx, secretId, version, payload, meta);
  }
}

export class StoreConflictError extends Error {
  constructor(message = 'the stored version changed concurrently (check-and-set failed)') {
    super(message);
    this.name = 'StoreConflictError';
  }
}

export class StoreNotFoundError extends Error {
  constructor(message = 'the stored version does not exist') {
    super(message);
    this.name = 'StoreNotFoundError';
  }
}

/** The version was there but the store dropped it by its own retention (Vault `max_versions`). */
export class StorePrunedError extends StoreNotFoundError {
  constructor(message = 'the store no longer keeps this version (pruned by its retention)') {
    super(message);
    this.name = 'StorePrunedError';
  }
}

export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}
