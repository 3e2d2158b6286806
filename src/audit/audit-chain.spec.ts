import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalRow, type ChainRow, chainHash, ChainVerifier, GENESIS_HASH } from './audit-chain.js';

const row = (over: Partial<ChainRow> = {}): Omit<ChainRow, 'hash'> => ({
  seq: '7',
  occurred_at: '2026-11-30T01:02:03.004Z',
  actor: 'ops-admin',
  roles: ['admin', 'auditor'],
  action: 'secret.value_read',
  outcome: 'success',
  secret_id: 'sec_AAAAAAAAAAAAAAAA',
  secret_name: 'db_password',
  request_id: 'req-1',
  client_ip: '10.0.0.1',
  user_agent: 'curl/8 "quoted" \\ é \u2028 😀',
  details: { z: 1, a: 'x', m: null, b: true, nested: { y: 2, x: [3, { b: 1, a: 2 }] } },
  prev_hash: GENESIS_HASH,
  ...over,
});

/** The definition: canonical JSON of every field but the hashes. */
function reference(r: Omit<ChainRow, 'hash'> & { hash?: string }): string {
  const { prev_hash: _p, hash: _h, ...fields } = r;
  return canonicalJson(fields);
}

describe('canonical row and chain hash', () => {
  it.each([
    ['a full row', row()],
    ['nulls', row({ secret_id: null, secret_name: null, request_id: null, client_ip: null, user_agent: null, details: {} })],
    ['no roles', row({ roles: [] })],
    ['with its hash', { ...row(), hash: 'f'.repeat(64) }],
    ['an undefined field', { ...row(), user_agent: undefined as unknown as null }],
    ['an extra field', { ...row(), extra: 'hashed too' } as Omit<ChainRow, 'hash'>],
  ])('is the canonical JSON of the fields for %s', (_, r) => {
    expect(canonicalRow(r)).toBe(reference(r));
  });

  it('hashes prev_hash, a newline and the canonical row', () => {
    const r = row({ prev_hash: 'a'.repeat(64) });
    const expected = createHash('sha256').update(r.prev_hash).update('\n').update(reference(r)).digest('hex');
    expect(chainHash(r.prev_hash, r)).toBe(expected);
  });

  it('verifies a chain and names the first bad row', () => {
    const rows: ChainRow[] = [];
    let prev = GENESIS_HASH;
    for (let i = 1; i <= 5; i++) {
      const r = row({ seq: String(i), prev_hash: prev });
      const h = chainHash(prev, r);
      rows.push({ ...r, hash: h });
      prev = h;
    }
    const ok = new ChainVerifier();
    rows.forEach((r) => ok.push(r));
    expect(ok.verdict()).toEqual({ valid: true, checked: 5, first_invalid_id: null, reason: null });
    const bad = new ChainVerifier();
    rows.map((r) => (r.seq === '3' ? { ...r, actor: 'mallory' } : r)).forEach((r) => bad.push(r));
    expect(bad.verdict()).toMatchObject({ valid: false, checked: 2, first_invalid_id: '3' });
  });
});
