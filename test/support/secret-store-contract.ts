/**
 * The behaviour every `SecretStore` adapter must have, as one vitest suite:
 *
 *   describeSecretStoreContract('LocalSecretStore', async () => ({ store, tx, cleanup }));
 *
 * `makeStore` runs before each test and `cleanup` after it. `tx` is handed to every call (the
 * Vault store ignores it, so `undefined as never` is fine there). A store whose secrets must exist
 * elsewhere first (e.g. a row the payload table references) can return `newSecretId`, which the
 * suite then uses instead of inventing ids.
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type PutMeta,
  type SecretStore,
  StoreConflictError,
  StoreNotFoundError,
} from '../../src/secrets/store/secret-store.port.js';

export interface SecretStoreUnderTest {
  store: SecretStore;
  tx: EntityManager;
  cleanup(): Promise<void>;
  /** Optional: a fresh secret id the store accepts (default `sec_` + 16 random base64url characters). */
  newSecretId?: () => Promise<string>;
}

const meta = (expectedStoreVersion: number, extra: Partial<PutMeta> = {}): PutMeta => ({
  secretType: 'api_key',
  tags: { env: 'test', team: 'platform' },
  expectedStoreVersion,
  ...extra,
});

/** A string of exactly `bytes` UTF-8 bytes mixing ASCII, 2-, 3- and 4-byte characters. */
function unicodePayload(bytes: number): string {
  const pieces = ['a', 'Z', '0', '"', '\\', '\n', '<&>', 'é', 'ß', 'Ж', '€', '秘', 'ﷺ', '🔐', '👩‍💻', 'e\u0301', 'ש'];
  let out = '';
  let size = 0;
  for (let i = 0; ; i++) {
    const piece = pieces[i % pieces.length];
    const pieceBytes = Buffer.byteLength(piece);
    if (size + pieceBytes > bytes) break;
    out += piece;
    size += pieceBytes;
  }
  return out + 'x'.repeat(bytes - size);
}

export function describeSecretStoreContract(name: string, makeStore: () => Promise<SecretStoreUnderTest>): void {
  describe(`SecretStore contract: ${name}`, () => {
    let ctx: SecretStoreUnderTest;
    let store: SecretStore;
    let tx: EntityManager;
    const newId = (): Promise<string> =>
      ctx.newSecretId ? ctx.newSecretId() : Promise.resolve(`sec_${randomBytes(12).toString('base64url')}`);

    beforeEach(async () => {
      ctx = await makeStore();
      store = ctx.store;
      tx = ctx.tx;
    });

    afterEach(async () => {
      await ctx?.cleanup();
    });

    it('returns the payload it stored, under a positive integer store version', async () => {
      const id = await newId();
      const v1 = await store.put(tx, id, 1, 'first payload', meta(0));
      expect(Number.isInteger(v1) && v1 > 0).toBe(true);
      await expect(store.get(tx, id, v1)).resolves.toBe('first payload');
    });

    it('keeps versions independent', async () => {
      const id = await newId();
      const v1 = await store.put(tx, id, 1, 'payload one', meta(0));
      const v2 = await store.put(tx, id, 2, 'payload two', meta(v1));
      const v3 = await store.put(tx, id, 3, 'payload three', meta(v2));
      expect(v2).toBeGreaterThan(v1);
      expect(v3).toBeGreaterThan(v2);
      await expect(store.get(tx, id, v1)).resolves.toBe('payload one');
      await expect(store.get(tx, id, v2)).resolves.toBe('payload two');
      await expect(store.get(tx, id, v3)).resolves.toBe('payload three');
    });

    it('keeps secrets independent', async () => {
      const a = await newId();
      const b = await newId();
      const va = await store.put(tx, a, 1, 'payload of a', meta(0));
      const vb = await store.put(tx, b, 1, 'payload of b', meta(0));
      await store.purge(tx, b);
      await expect(store.get(tx, a, va)).resolves.toBe('payload of a');
      await expect(store.get(tx, b, vb)).rejects.toBeInstanceOf(StoreNotFoundError);
    });

    it('rejects a put with a stale expectedStoreVersion and changes nothing', async () => {
      const id = await newId();
      const v1 = await store.put(tx, id, 1, 'kept payload', meta(0));
      const before = await store.describe(tx, id);

      for (const wrong of [0, v1 + 1, v1 + 7]) {
        const err = await store.put(tx, id, 2, 'rejected payload', meta(wrong)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreConflictError);
        expect(String((err as Error).message)).not.toContain('rejected payload');
      }

      expect(await store.describe(tx, id)).toEqual(before);
      await expect(store.get(tx, id, v1)).resolves.toBe('kept payload');
      await expect(store.get(tx, id, v1 + 1)).rejects.toBeInstanceOf(StoreNotFoundError);
    });

    it('rejects a first put that expects an existing version, and stores nothing', async () => {
      const id = await newId();
      await expect(store.put(tx, id, 1, 'never stored', meta(3))).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.describe(tx, id)).toBeNull();
    });

    it('lets exactly one of two concurrent puts from the same version win', async () => {
      const id = await newId();
      const v1 = await store.put(tx, id, 1, 'base', meta(0));
      const results = await Promise.allSettled([
        store.put(tx, id, 2, 'writer A', meta(v1)),
        store.put(tx, id, 2, 'writer B', meta(v1)),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0].reason).toBeInstanceOf(StoreConflictError);
      const winner = (won[0] as PromiseFulfilledResult<number>).value;
      expect(['writer A', 'writer B']).toContain(await store.get(tx, id, winner));
    });

    it('throws StoreNotFoundError for a missing secret or version', async () => {
      const missing = await newId();
      await expect(store.get(tx, missing, 1)).rejects.toBeInstanceOf(StoreNotFoundError);
      const id = await newId();
      const v1 = await store.put(tx, id, 1, 'only version', meta(0));
      await expect(store.get(tx, id, v1 + 1)).rejects.toBeInstanceOf(StoreNotFoundError);
      await expect(store.get(tx, id, v1 + 100)).rejects.toBeInstanceOf(StoreNotFoundError);
    });

    it('destroys only the versions it is given, idempotently', async () => {
      const id = await newId();
      const v1 = await store.put(tx, id, 1, 'old payload', meta(0));
      const v2 = await store.put(tx, id, 2, 'new payload', meta(v1));
      await store.destroy(tx, id, [v1]);
      await expect(store.get(tx, id, v1)).rejects.toBeInstanceOf(StoreNotFoundError);
      await expect(store.get(tx, id, v2)).resolves.toBe('new payload');
      await store.destroy(tx, id, [v1]);
      await store.destroy(tx, id, []);
      await expect(store.get(tx, id, v2)).resolves.toBe('new payload');

      const described = await store.describe(tx, id);
      expect(described?.versions.find((v) => v.storeVersion === v1)?.destroyed).toBe(true);
      expect(described?.versions.find((v) => v.storeVersion === v2)?.destroyed).toBe(false);
    });

    it('continues the version sequence after a destroy', async () => {
      const id = await newId();
      const v1 = await store.put(tx, id, 1, 'one', meta(0));
      await store.destroy(tx, id, [v1]);
      const v2 = await store.put(tx, id, 2, 'two', meta(v1));
      expect(v2).toBeGreaterThan(v1);
      await expect(store.get(tx, id, v2)).resolves.toBe('two');
      await expect(store.get(tx, id, v1)).rejects.toBeInstanceOf(StoreNotFoundError);
    });

    it('purges every version, idempotently', async () => {
      const id = await newId();
      const v1 = await store.put(tx, id, 1, 'one', meta(0));
      const v2 = await store.put(tx, id, 2, 'two', meta(v1));
      await store.purge(tx, id);
      await expect(store.get(tx, id, v1)).rejects.toBeInstanceOf(StoreNotFoundError);
      await expect(store.get(tx, id, v2)).rejects.toBeInstanceOf(StoreNotFoundError);
      expect(await store.describe(tx, id)).toBeNull();
      await store.purge(tx, id);
      await store.purge(tx, await newId());
    });

    it('describes what it holds', async () => {
      const id = await newId();
      expect(await store.describe(tx, id)).toBeNull();
      const v1 = await store.put(tx, id, 1, 'one', meta(0));
      const v2 = await store.put(tx, id, 2, 'two', meta(v1));
      const described = await store.describe(tx, id);
      expect(described).toEqual({
        currentStoreVersion: v2,
        versions: [
          { storeVersion: v1, destroyed: false, deleted: false },
          { storeVersion: v2, destroyed: false, deleted: false },
        ],
      });
    });

    it('stores 64 KiB payloads with any unicode unchanged', async () => {
      const id = await newId();
      const big = unicodePayload(64 * 1024);
      expect(Buffer.byteLength(big)).toBe(64 * 1024);
      const v1 = await store.put(tx, id, 1, big, meta(0));
      const odd = '  leading/trailing spaces, tabs\t, CRLF\r\n, quotes "\'`, {"json": [1, 2]}, %s %d ${x} 🔐 ';
      const v2 = await store.put(tx, id, 2, odd, meta(v1));
      await expect(store.get(tx, id, v1)).resolves.toBe(big);
      await expect(store.get(tx, id, v2)).resolves.toBe(odd);
    });

    it('accepts unusual secret types and tags without failing the put', async () => {
      const id = await newId();
      const tags: Record<string, string> = { '': 'empty key', empty: '', long: 'v'.repeat(2000), 'ключ': 'значение' };
      for (let i = 0; i < 100; i++) tags[`t${i}`] = `value ${i}`;
      const v1 = await store.put(tx, id, 1, 'payload', meta(0, { secretType: 'x'.repeat(1000), tags }));
      await expect(store.get(tx, id, v1)).resolves.toBe('payload');
    });

    it('reports its health', async () => {
      const health = await store.health();
      expect(health.up).toBe(true);
    });

    it('replaces a payload (key re-wrap) in place or as a new store version, other versions untouched', async () => {
      const id = await newId();
      const v1 = await store.put(tx, id, 1, 'payload one', meta(0));
      const v2 = await store.put(tx, id, 2, 'payload two', meta(v1));
      const held = await store.replacePayload(tx, id, 1, v1, 'payload one, re-wrapped', meta(v2));
      // In place (same store version) or a new one after the latest: never another version's number.
      expect(held === v1 || held > v2).toBe(true);
      await expect(store.get(tx, id, held)).resolves.toBe('payload one, re-wrapped');
      await expect(store.get(tx, id, v2)).resolves.toBe('payload two');
    });
  });
}
