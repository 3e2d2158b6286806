import { describe, expect, it } from 'vitest';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { StoreConflictError, StoreUnavailableError } from '../secrets/store/secret-store.port.js';
import { failedRotationCode, failureOf, isFinal, RotationFailureCause, UnusableValue } from './rotation-failure.js';
import { RotatorTargetRefused } from './rotator-target.js';

describe('rotation failure causes', () => {
  it('classifies by type, never by the words of the message', () => {
    expect(failureOf(new StoreUnavailableError('Vault is sealed')).cause).toBe('store_unavailable');
    expect(failureOf(new DomainError(DomainErrorCode.StoreUnavailable, 'connection refused')).cause).toBe('store_unavailable');
    // A message naming Vault is not a store outage.
    expect(failureOf(new Error('the Vault plugin at the target answered 500'), true).cause).toBe('target_failed');
    expect(failureOf(new Error('Vault')).cause).toBe('internal');
    expect(failureOf(new StoreConflictError()).cause).toBe('store_conflict');
    expect(failureOf(new RotatorTargetRefused('10.0.0.1 is not allowed')).cause).toBe('target_refused');
    expect(failureOf(new DomainError(DomainErrorCode.InvalidInput, 'CA cannot sign'), true).cause).toBe('target_refused');
    expect(failureOf(new UnusableValue('the new value is not usable: too short'), true).cause).toBe('unusable_value');
    expect(failureOf(new DomainError(DomainErrorCode.RotationInProgress, 'busy')).cause).toBe('conflict');
    expect(failureOf(new DomainError(DomainErrorCode.NotFound, 'gone')).cause).toBe('secret_gone');
  });

  it('bounds the message to the column', () => {
    expect(failureOf(new Error('x'.repeat(5000))).message).toHaveLength(1000);
    expect(failureOf(undefined).message).toBe('failed');
  });

  it('ends a staged rotation at once only for a refused target', () => {
    for (const cause of Object.values(RotationFailureCause)) expect(isFinal({ cause, message: '' })).toBe(cause === 'target_refused');
  });

  it('maps every cause to the status of a failed POST …/rotate: store trouble 503, the rest 502', () => {
    const codes = Object.fromEntries(Object.values(RotationFailureCause).map((c) => [c, failedRotationCode(c)]));
    expect(codes).toEqual({
      store_unavailable: DomainErrorCode.StoreUnavailable,
      store_conflict: DomainErrorCode.StoreUnavailable,
      target_refused: DomainErrorCode.UpstreamFailed,
      target_failed: DomainErrorCode.UpstreamFailed,
      unusable_value: DomainErrorCode.UpstreamFailed,
      interrupted: DomainErrorCode.UpstreamFailed,
      secret_gone: DomainErrorCode.UpstreamFailed,
      conflict: DomainErrorCode.UpstreamFailed,
      internal: DomainErrorCode.UpstreamFailed,
    });
    // Rows from before failure_cause existed.
    expect(failedRotationCode(null)).toBe(DomainErrorCode.UpstreamFailed);
  });
});
