import { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { VaultConnection, VaultLogger } from '../../vault/vault-client.js';
import {
  type PutMeta,
  SecretStore,
  StoreConflictError,
  type StoreDescription,
  type StoreHealth,
  StoreNotFoundError,
  StorePrunedError,
  StoreUnavailableError,
  type StoreVersionInfo,
} from './secret-store.port.js';

export interface VaultSecretStoreOptions {
  /** KV v2 mount. Default `kv`. */
  kvMount?: string;
  /** Folder under the mount holding one key per secret. Default `ytempire/secrets`. */
  pathPrefix?: string;
  /**
   * `max_versions` written on every key (Vault keeps max(key, mount) versions). Default 10,
   * Vault's own default.
   */
  maxVersions?: number;
  logger?: VaultLogger;
}

/** Secret ids are opaque: nothing in them can change the Vault path or add a query string. */
const SECRET_ID = /^[A-Za-z0-9_-]+$/;
const PATH_SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** Vault's custom_metadata limits (vault-plugin-secrets-kv `validateCustomMetadata`). */
const CM_MAX_KEYS = 64;
const CM_MAX_KEY_BYTES = 128;
const CM_MAX_VALUE_BYTES = 512;
/** unicode.IsPrint, as Vault checks custom_metadata keys and values. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u;

type ReadSecretResponse = { data?: { data?: Record<string, unknown> | null; metadata?: { version?: unknown } } };
type ReadMetadataResponse = {
  data?: {
    current_version?: unknown;
    oldest_version?: unknown;
    created_time?: unknown;
    versions?: Record<string, { deletion_time?: unknown; destroyed?: unknown }>;
  };
};
type ListResponse = { data?: { keys?: unknown } };
type WriteResponse = { data?: { version?: unknown } };

/**
 * Payloads in Vault KV v2, one key per secret at `<mount>/data/<prefix>/<secretId>`, holding
 * `{ value: payload }`. Store versions are Vault's own version numbers, and every write is a
 * check-and-set against `meta.expectedStoreVersion`.
 *
 * Key metadata (`<mount>/metadata/<prefix>/<secretId>`) gets `max_versions` and `custom_metadata`
 * with the secret type, the Strongroom version and the tags (`tag.<key>`) that fit Vault's limits,
 * so `vault kv metadata get` shows what a key is. That write is best effort: a failure is logged
 * and the put still succeeds (PostgreSQL holds the real metadata).
 *
 * Every call goes through `connection.request`, which replaces an AppRole token Vault rejects.
 *
 * Errors map to the port's: check-and-set mismatch → StoreConflictError; missing, deleted or
 * destroyed version → StoreNotFoundError (StorePrunedError when trimmed by max_versions); sealed, unreachable, 403, 5xx … → StoreUnavailableError.
 * No message ever carries a payload or a token. The transaction argument is ignored.
 */
export class VaultSecretStore extends SecretStore {
  readonly kind = 'vault' as const;

  private readonly mount: string;
  private readonly prefix: string;
  private readonly logger: VaultLogger;
  readonly maxVersions: number;

  constructor(
    private readonly connection: VaultConnection,
    options: VaultSecretStoreOptions = {},
  ) {
    super();
    this.mount = checkedPath(options.kvMount ?? 'kv', 'KV mount', false);
    this.prefix = checkedPath(options.pathPrefix ?? 'ytempire/secrets', 'path prefix', true);
    this.logger = options.logger ?? new Logger('VaultSecretStore');
    this.maxVersions = options.maxVersions ?? 10;
    if (!Number.isInteger(this.maxVersions) || this.maxVersions < 1) throw new Error('Vault max_versions must be an integer >= 1');
  }

  async put(_tx: EntityManager, secretId: string, version: number, payload: string, meta: PutMeta): Promise<number> {
    checkSecretId(secretId);
    if (typeof payload !== 'string') throw new TypeError('payload must be a string');
    const cas = meta.expectedStoreVersion;
    if (!Number.isInteger(cas) || cas < 0) throw new RangeError('expectedStoreVersion must be an integer >= 0');

    let res: WriteResponse;
    try {
      res = (await this.connection.request((c) =>
        c.write(this.path('data', secretId), { data: { value: payload }, options: { cas } }),
      )) as WriteResponse;
    } catch (err) {
      throw this.mapError(err, [payload], {
        conflict: `the Vault version of secret ${secretId} is not ${cas} (check-and-set failed)`,
      });
    }
    const stored = res?.data?.version;
    if (typeof stored !== 'number' || !Number.isInteger(stored)) {
      throw new StoreUnavailableError(`Vault accepted the write of secret ${secretId} but returned no version number`);
    }
    await this.writeCustomMetadata(secretId, version, meta);
    return stored;
  }

  async get(_tx: EntityManager, secretId: string, storeVersion: number): Promise<string> {
    checkSecretId(secretId);
    if (!Number.isInteger(storeVersion) || storeVersion < 1) {
      // Vault reads version 0 (or none) as "latest": never let that happen by accident.
      throw new StoreNotFoundError(`secret ${secretId} has no store version ${String(storeVersion)}`);
    }
    let res: ReadSecretResponse;
    try {
      res = (await this.connection.request((c) => c.read(`${this.path('data', secretId)}?version=${storeVersion}`))) as ReadSecretResponse;
    } catch (err) {
      const mapped = this.mapError(err, [], { notFound: this.notFoundMessage(secretId, storeVersion, err) });
      if (mapped instanceof StoreNotFoundError && !hasVersionMetadata(err) && (await this.pruned(secretId, storeVersion))) {
        throw new StorePrunedError(`version ${storeVersion} of secret ${secretId} was pruned by Vault (beyond the key's max_versions)`);
      }
      throw mapped;
    }
    const value = res?.data?.data?.value;
    if (res?.data?.metadata?.version !== storeVersion || typeof value !== 'string') {
      throw new StoreNotFoundError(
        `Vault's version ${storeVersion} of secret ${secretId} does not hold a Strongroom payload`,
      );
    }
    return value;
  }

  async destroy(_tx: EntityManager, secretId: string, storeVersions: number[]): Promise<void> {
    checkSecretId(secretId);
    const versions = [...new Set(storeVersions)];
    if (versions.some((v) => !Number.isInteger(v) || v < 1)) throw new RangeError('store versions must be integers >= 1');
    if (versions.length === 0) return;
    try {
      // client.write, not destroySecretVersions: that helper mustache-escapes the path.
      await this.connection.request((c) => c.write(this.path('destroy', secretId), { versions }));
    } catch (err) {
      throw this.mapError(err);
    }
  }

  async purge(_tx: EntityManager, secretId: string): Promise<void> {
    checkSecretId(secretId);
    try {
      await this.connection.request((c) => c.delete(this.path('metadata', secretId)));
    } catch (err) {
      const mapped = this.mapError(err);
      if (!(mapped instanceof StoreNotFoundError)) throw mapped;
    }
  }

  async describe(_tx: EntityManager, secretId: string): Promise<StoreDescription | null> {
    checkSecretId(secretId);
    let res: ReadMetadataResponse;
    try {
      res = (await this.connection.request((c) => c.read(this.path('metadata', secretId)))) as ReadMetadataResponse;
    } catch (err) {
      const mapped = this.mapError(err);
      if (mapped instanceof StoreNotFoundError) return null;
      throw mapped;
    }
    const now = Date.now();
    const versions: StoreVersionInfo[] = Object.entries(res?.data?.versions ?? {})
      .map(([n, v]) => ({
        storeVersion: Number(n),
        destroyed: v?.destroyed === true,
        deleted: isPast(v?.deletion_time, now),
      }))
      .filter((v) => Number.isInteger(v.storeVersion))
      .sort((a, b) => a.storeVersion - b.storeVersion);
    const current = Number(res?.data?.current_version) || 0;
    if (current === 0 && versions.length === 0) return null;
    return { currentStoreVersion: current, versions };
  }

  /** When Vault created the key (its metadata `created_time`); null when it holds nothing or cannot say. */
  override async keyCreatedAt(secretId: string): Promise<Date | null> {
    checkSecretId(secretId);
    try {
      const res = (await this.connection.request((c) => c.read(this.path('metadata', secretId)))) as ReadMetadataResponse;
      return parseTime(res?.data?.created_time) ?? null;
    } catch {
      return null;
    }
  }

  /**
   * Vault trims a key's oldest versions beyond max(key, mount) `max_versions` on each write. The
   * key's own setting is this store's `maxVersions`, so nothing can be gone while the key has at
   * most that many versions; past it, Vault's `oldest_version` says. Best effort: 1 when Vault's
   * metadata cannot be read (a read of a trimmed version is still recognised, see `get`).
   */
  override async oldestKept(_tx: EntityManager, secretId: string, storeVersion: number): Promise<number> {
    checkSecretId(secretId);
    if (storeVersion <= this.maxVersions) return 1;
    return (await this.oldestVersion(secretId)) ?? 1;
  }

  /** The keys directly under the prefix (secret ids; folders are left out). [] when there are none. */
  override async listIds(): Promise<string[]> {
    const folder = [this.mount, 'metadata', this.prefix].filter((p) => p !== '').join('/');
    let res: ListResponse;
    try {
      res = (await this.connection.request((c) => c.list(`${folder}/`))) as ListResponse;
    } catch (err) {
      const mapped = this.mapError(err);
      if (mapped instanceof StoreNotFoundError) return [];
      throw mapped;
    }
    const keys = Array.isArray(res?.data?.keys) ? res.data.keys : [];
    return keys.filter((k): k is string => typeof k === 'string' && k !== '' && !k.endsWith('/'));
  }

  /** Where a secret's key lives, as `vault kv` names it (`kv/ytempire/secrets/<id>`), for reports. */
  override displayPath(secretId: string): string {
    return [this.mount, this.prefix, secretId].filter((p) => p !== '').join('/');
  }

  async health(): Promise<StoreHealth> {
    const h = await this.connection.health();
    return h.up ? { up: true } : { up: false, detail: h.detail };
  }

  // ---- internals -----------------------------------------------------------------------------------

  /** `<mount>/<kind>/<prefix>/<secretId>`: never a leading `/` (a `//` makes Vault redirect POST to GET). */
  private path(kind: 'data' | 'metadata' | 'destroy', secretId: string): string {
    return [this.mount, kind, this.prefix, secretId].filter((p) => p !== '').join('/');
  }

  private async oldestVersion(secretId: string): Promise<number | null> {
    try {
      const res = (await this.connection.request((c) => c.read(this.path('metadata', secretId)))) as ReadMetadataResponse;
      return Math.max(1, Number(res?.data?.oldest_version) || 0);
    } catch {
      return null;
    }
  }

  /** A plain 404 (no version metadata) for a version below Vault's oldest kept one: trimmed. */
  private async pruned(secretId: string, storeVersion: number): Promise<boolean> {
    const oldest = await this.oldestVersion(secretId);
    return oldest !== null && storeVersion < oldest;
  }

  private async writeCustomMetadata(secretId: string, version: number, meta: PutMeta): Promise<void> {
    try {
      await this.connection.request((c) =>
        c.write(this.path('metadata', secretId), { max_versions: this.maxVersions, custom_metadata: customMetadata(version, meta) }),
      );
    } catch (err) {
      const info = this.connection.classify(err);
      this.logger.warn(`could not label secret ${secretId} in Vault (its value is stored): ${info.message}`);
    }
  }

  private notFoundMessage(secretId: string, storeVersion: number, err: unknown): string {
    const metadata = (err as { response?: { body?: { data?: { metadata?: { destroyed?: unknown; deletion_time?: unknown } } } } })
      ?.response?.body?.data?.metadata;
    const why = metadata?.destroyed === true ? 'was destroyed' : metadata?.deletion_time ? 'was deleted' : 'does not exist';
    return `version ${storeVersion} of secret ${secretId} ${why} in Vault`;
  }

  /** The port's error for a node-vault failure; `payloads` are redacted from any Vault text. */
  private mapError(
    err: unknown,
    payloads: readonly string[] = [],
    messages: { conflict?: string; notFound?: string } = {},
  ): Error {
    const info = this.connection.classify(err, payloads);
    switch (info.kind) {
      case 'conflict':
        return new StoreConflictError(messages.conflict);
      case 'not_found':
        return new StoreNotFoundError(messages.notFound);
      default:
        return new StoreUnavailableError(info.message);
    }
  }
}

function checkSecretId(secretId: string): void {
  if (typeof secretId !== 'string' || !SECRET_ID.test(secretId)) {
    throw new TypeError('secret id must match /^[A-Za-z0-9_-]+$/');
  }
}

function checkedPath(value: string, what: string, allowEmpty: boolean): string {
  const trimmed = value.replace(/^\/+|\/+$/g, '');
  if (trimmed === '' && allowEmpty) return '';
  const segments = trimmed.split('/');
  if (segments.some((s) => !PATH_SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new Error(`Vault ${what} must be path segments of letters, digits, '_', '-' and '.'`);
  }
  return trimmed;
}

function fits(key: string, value: string): boolean {
  const k = Buffer.byteLength(key);
  const v = Buffer.byteLength(value);
  return k >= 1 && k <= CM_MAX_KEY_BYTES && v >= 1 && v <= CM_MAX_VALUE_BYTES && PRINTABLE.test(key) && PRINTABLE.test(value);
}

/** secret_type, strongroom_version and as many `tag.<key>` entries (sorted by key) as Vault accepts. */
function customMetadata(version: number, meta: Pick<PutMeta, 'secretType' | 'tags'>): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (key: string, value: string): void => {
    if (Object.keys(out).length < CM_MAX_KEYS && fits(key, value)) out[key] = value;
  };
  add('secret_type', meta.secretType);
  add('strongroom_version', String(version));
  for (const key of Object.keys(meta.tags ?? {}).sort()) add(`tag.${key}`, String(meta.tags[key]));
  return out;
}

/** Whether a 404 carried a version's metadata (deleted or destroyed) rather than nothing at all. */
function hasVersionMetadata(err: unknown): boolean {
  const body = (err as { response?: { body?: { data?: { metadata?: unknown } } } })?.response?.body;
  return typeof body?.data?.metadata === 'object' && body.data.metadata !== null;
}

function parseTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/** An RFC 3339 deletion time in the past ('' = not deleted). */
function isPast(deletionTime: unknown, now: number): boolean {
  if (typeof deletionTime !== 'string' || deletionTime === '') return false;
  // Vault sends nanoseconds; Date.parse wants at most milliseconds.
  const ms = Date.parse(deletionTime.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) && ms <= now;
}
