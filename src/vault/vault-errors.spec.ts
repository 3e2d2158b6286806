import { describe, expect, it } from 'vitest';
import { classifyVaultError, displayUrl, redact } from './vault-errors.js';

const apiError = (statusCode: number, errors?: string[], body: unknown = errors ? { errors } : '') =>
  Object.assign(new Error(errors?.[0] || `Status ${statusCode}`), { response: { statusCode, body } });
const ctx = { url: 'https://user:pw@vault.example:8200/', secrets: ['hunter2-token'] };

describe('classifyVaultError', () => {
  it.each([
    [apiError(403, ['permission denied']), 'auth', 'Vault rejected the request: no token was sent (permission denied)'],
    [apiError(403, ['2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n']), 'auth', 'Vault rejected the token (permission denied)'],
    [apiError(403, ['1 error occurred:\n\t* permission denied\n\n']), 'auth', "Vault's policy for this token does not allow the request (permission denied)"],
    [apiError(503, ['Vault is sealed']), 'sealed', 'Vault is sealed'],
    [apiError(503, ['standby node unavailable']), 'unavailable', 'Vault is unavailable (HTTP 503: standby node unavailable)'],
    [apiError(400, ['check-and-set parameter did not match the current version']), 'conflict', 'check-and-set parameter did not match the current version'],
    [apiError(400, ['check-and-set parameter required for this call']), 'rejected', 'Vault refused the request (HTTP 400: check-and-set parameter required for this call)'],
    [apiError(400, ['Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly.']), 'unavailable', 'Vault is upgrading the KV mount; retry shortly'],
    [apiError(404, [], { errors: [] }), 'not_found', 'Vault holds nothing at this path'],
    [apiError(404, undefined, { data: { data: null, metadata: { destroyed: true } } }), 'not_found', 'Vault holds nothing at this path'],
    [apiError(429), 'unavailable', 'Vault is unavailable (HTTP 429)'],
    [Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:8200'), { code: 'ECONNREFUSED' }), 'unavailable', 'Vault is unreachable at https://vault.example:8200 (ECONNREFUSED)'],
    [Object.assign(new Error('timeout of 50ms exceeded'), { code: 'ECONNABORTED' }), 'unavailable', 'Vault is unreachable at https://vault.example:8200 (no answer in time, ECONNABORTED)'],
    [Object.assign(new Error('Missing required property: role_id'), { code: 302 }), 'rejected', 'Vault client error: Missing required property: role_id'],
  ])('classifies %#', (err, kind, message) => {
    const info = classifyVaultError(err, ctx);
    expect(info.kind).toBe(kind);
    expect(info.message).toBe(message);
  });

  it('redacts secrets and token-shaped strings from Vault text', () => {
    const info = classifyVaultError(apiError(400, ['bad hunter2-token and hvs.CAESIabcdefghijklmnopqrstuvwxyz0123']), ctx);
    expect(info.message).toBe('Vault refused the request (HTTP 400: bad [redacted] and [redacted-token])');
  });
});

describe('redact and displayUrl', () => {
  it('truncates long texts and keeps short secrets alone', () => {
    expect(redact('x'.repeat(400))).toHaveLength(301);
    expect(redact('a b', ['a'])).toBe('a b');
  });

  it('drops credentials and queries from URLs', () => {
    expect(displayUrl('http://u:p@127.0.0.1:8200/?x=1')).toBe('http://127.0.0.1:8200');
    expect(displayUrl('nonsense')).toBe('<invalid Vault URL>');
  });
});
