import { describe, expect, it } from 'vitest';
import type { SecretEntity } from '../secrets/entities/secret.entity.js';
import type { SecretVersionEntity } from '../secrets/entities/secret-version.entity.js';
import { StoreNotFoundError, StoreUnavailableError } from '../secrets/store/secret-store.port.js';
import { checkVersion, type VersionCheckPorts } from './version-check.js';

const secret = { id: 's1', store: 'local' } as SecretEntity;
const row = { secretId: 's1', version: 1, storeVersion: 1, keyId: 'k', fingerprintKeyId: 'k' } as SecretVersionEntity;
const ports = (readPayload: VersionCheckPorts['readPayload']): VersionCheckPorts => ({
  readPayload,
  keyKnown: () => true,
  decode: (_s, _r, p) => p,
  fingerprintMatches: () => true,
});

describe('checkVersion', () => {
  it('reports payload_missing only when the store says the payload is not there', async () => {
    const v = await checkVersion(secret, row, ports(() => Promise.reject(new StoreNotFoundError())));
    expect(v.problem).toBe('payload_missing');
  });

  it('reports store_unreachable when the store says it is unavailable', async () => {
    const v = await checkVersion(secret, row, ports(() => Promise.reject(new StoreUnavailableError('Vault is sealed'))));
    expect(v.problem).toBe('store_unreachable');
  });

  it('records no problem when it could not check (a database timeout): the error propagates', async () => {
    const timeout = Object.assign(new Error('embedded database: waited 15000 ms for another connection\'s transaction'), { code: '55P03' });
    await expect(checkVersion(secret, row, ports(() => Promise.reject(timeout)))).rejects.toBe(timeout);
    await expect(checkVersion(secret, row, ports(() => Promise.reject(new Error('Connection terminated unexpectedly'))))).rejects.toThrow(
      /Connection terminated/,
    );
  });
});
