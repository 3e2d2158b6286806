import type { EntityManager } from 'typeorm';
import { LocalPayloadEntity } from './local-payload.entity.js';
import { LOCATE, PUT_PAYLOAD } from './local-store-sql.js';
import {
  type PutMeta,
  SecretStore,
  type StoreDescription,
  StoreConflictError,
  type StoreHealth,
  StoreNotFoundError,
} from './secret-store.port.js';

const UNIQUE_VIOLATION = '23505';

/** A secret and one of its versions as the read path needs them; `payload` only for the local store. */
export interface ServingRow {
  id: string;
  name: string;
  secret_type: string;
  store: 'local' | 'vault';
  encrypt_locally: boolean;
  current_version: number;
  version: number | null;
  state: string | null;
  store_version: number | null;
  payload: string | null;
}

/**
 * Payloads as rows in PostgreSQL, written through the caller's transaction so a version's payload
 * and metadata commit together. The payload is always an envelope: the service encrypts first.
 * Store versions are 1, 2, 3 … per secret; a destroyed version keeps its row with no payload so
 * numbers are never reused.
 */
export class LocalSecretStore extends SecretStore {
  readonly kind = 'local' as const;

  async put(tx: EntityManager, secretId: string, _version: number, payload: string, meta: PutMeta): Promise<number> {
    // Check-and-set in the INSERT itself: it writes only if the latest version is the expected one,
    // and the primary key stops two writers that both saw it.
    const next = meta.expectedStoreVersion + 1;
    let inserted: number;
    try {
      const res = (await tx.query(
        PUT_PAYLOAD,
        [secretId, next, payload, meta.expectedStoreVersion],
      )) as unknown;
      inserted = (res as unknown[]).length;
    } catch (e) {
      if ((e as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) throw new StoreConflictError();
      throw e;
    }
    if (inserted !== 1) throw new StoreConflictError();
    return next;
  }

  async get(tx: EntityManager, secretId: string, storeVersion: number): Promise<string> {
    const [row] = (await tx.query(
      'SELECT payload FROM local_secret_payloads WHERE secret_id = $1 AND store_version = $2',
      [secretId, storeVersion],
    )) as { payload: string | null }[];
    if (!row?.payload) throw new StoreNotFoundError();
    return row.payload;
  }

  async destroy(tx: EntityManager, secretId: string, storeVersions: number[]): Promise<void> {
    if (storeVersions.length === 0) return;
    await tx.query(
      'UPDATE local_secret_payloads SET payload = NULL WHERE secret_id = $1 AND store_version = ANY($2::int[])',
      [secretId, storeVersions],
    );
  }

  async purge(tx: EntityManager, secretId: string): Promise<void> {
    await tx.getRepository(LocalPayloadEntity).delete({ secretId });
  }

  async describe(tx: EntityManager, secretId: string): Promise<StoreDescription | null> {
    const rows = (await tx.query(
      'SELECT store_version, payload IS NULL AS destroyed FROM local_secret_payloads WHERE secret_id = $1 ORDER BY store_version',
      [secretId],
    )) as { store_version: number; destroyed: boolean }[];
    if (rows.length === 0) return null;
    return {
      currentStoreVersion: rows[rows.length - 1]!.store_version,
      versions: rows.map((r) => ({ storeVersion: r.store_version, destroyed: r.destroyed, deleted: false })),
    };
  }

  async health(): Promise<StoreHealth> {
    return { up: true };
  }

  /**
   * The read fast path (SecretVersions.locate): the secret, the requested version (default: the
   * current one) and, when the secret lives in this store, its payload, in one round trip. It
   * lives here because it joins this store's table; for a Vault secret `payload` is null. Null for
   * an unknown or deleted secret.
   */
  async locate(tx: EntityManager, secretId: string, version?: number): Promise<ServingRow | null> {
    const [row] = (await tx.query(
      LOCATE,
      [secretId, version ?? null],
    )) as ServingRow[];
    return row ?? null;
  }

  /** Replaces the payload in place (key re-wrap: same value, same version, new wrapping key). */
  override async replacePayload(tx: EntityManager, secretId: string, _version: number, storeVersion: number, payload: string): Promise<number> {
    await tx.query(
      'UPDATE local_secret_payloads SET payload = $3 WHERE secret_id = $1 AND store_version = $2 AND payload IS NOT NULL',
      [secretId, storeVersion, payload],
    );
    return storeVersion;
  }
}
