import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ChainRow, chainHash, GENESIS_HASH } from './audit-chain.js';
import { type CheckpointFields, keyIdOf, parsePublicKey, publicKeyPem, signCheckpoint } from './checkpoint-signature.js';
import { EXPORT_FORMAT } from './export-format.js';
import { verifyExportLines } from './export-verifier.js';

const { privateKey } = generateKeyPairSync('ed25519');
const publicKey = createPublicKey(privateKey);
const keyId = keyIdOf(publicKey);

function chain(n: number, start = { seq: 1, prev: GENESIS_HASH }): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev = start.prev;
  for (let i = 0; i < n; i++) {
    const row = {
      seq: String(start.seq + i),
      occurred_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      actor: `user-${i % 3}`,
      roles: ['admin'],
      action: 'secret.value_read',
      outcome: 'success',
      secret_id: 'sec_AAAAAAAAAAAAAAAA',
      secret_name: 'db_password',
      request_id: `req-${i}`,
      client_ip: '10.0.0.1',
      user_agent: 'curl/8',
      details: { method: 'GET', version: 1, note: i % 2 === 0 ? null : 'x' },
      prev_hash: prev,
    };
    const hash = chainHash(prev, row);
    rows.push({ ...row, hash });
    prev = hash;
  }
  return rows;
}

function checkpoint(id: number, head: ChainRow, key: KeyObject = privateKey, extra: Partial<CheckpointFields> = {}) {
  const fields: CheckpointFields = {
    kind: 'periodic',
    created_at: '2026-01-02T00:00:00.000Z',
    head_seq: head.seq,
    head_hash: head.hash,
    first_seq: null,
    first_prev_hash: null,
    ...extra,
  };
  return { type: 'checkpoint', id: String(id), ...fields, key_id: keyIdOf(createPublicKey(key)), signature: signCheckpoint(key, fields) };
}

function file(rows: ChainRow[], checkpoints: object[], o: { complete?: boolean; end?: boolean } = {}): string[] {
  const header = {
    type: 'export',
    format: EXPORT_FORMAT,
    exported_at: '2026-01-02T00:00:00.000Z',
    from: null,
    to: null,
    complete: o.complete ?? true,
    first_seq: rows[0]?.seq ?? null,
    last_seq: rows.at(-1)?.seq ?? null,
    key_id: keyId,
    public_key_pem: publicKeyPem(publicKey),
  };
  return [
    JSON.stringify(header),
    ...checkpoints.map((c) => JSON.stringify(c)),
    ...rows.map((r) => JSON.stringify({ type: 'event', ...r })),
    ...(o.end === false ? [] : [JSON.stringify({ type: 'end', events: rows.length, checkpoints: checkpoints.length })]),
  ];
}

const verify = (lines: string[], allowPartial = false) => verifyExportLines(lines, publicKey, { allowPartial });

describe('offline export verification', () => {
  const rows = chain(10);
  const signed = [checkpoint(1, rows[4]!), checkpoint(2, rows[9]!)];

  it('accepts an intact export covered by signed checkpoints', async () => {
    expect(await verify(file(rows, signed))).toEqual({
      valid: true,
      checked: 10,
      first_invalid_id: null,
      reason: null,
      checkpoints_checked: 2,
      checkpoints_ignored: 0,
      last_checkpoint_seq: '10',
      partial: false,
    });
  });

  it('names the first edited row', async () => {
    const edited = rows.map((r) => (r.seq === '6' ? { ...r, details: { ...r.details, version: 2 } } : r));
    expect(await verify(file(edited, signed))).toMatchObject({ valid: false, first_invalid_id: '6', checked: 5, reason: expect.stringMatching(/edited/) });
  });

  it('names the row after a removed one, and a reordered row', async () => {
    expect(await verify(file(rows.filter((r) => r.seq !== '3'), signed))).toMatchObject({ valid: false, first_invalid_id: '4' });
    const swapped = [...rows];
    [swapped[2], swapped[3]] = [{ ...rows[3]!, seq: '3' }, { ...rows[2]!, seq: '4' }];
    expect(await verify(file(swapped, signed))).toMatchObject({ valid: false, first_invalid_id: '3' });
  });

  it('catches removal of the oldest rows (the chain must start at genesis)', async () => {
    expect(await verify(file(rows.slice(2), signed))).toMatchObject({ valid: false, first_invalid_id: '3', reason: expect.stringMatching(/missing/) });
  });

  it('catches removal of the newest rows through the signed checkpoint', async () => {
    expect(await verify(file(rows.slice(0, 8), signed))).toMatchObject({ valid: false, first_invalid_id: '9', reason: expect.stringMatching(/rows missing at the end/) });
  });

  it('catches a rewritten chain that no longer matches its checkpoint', async () => {
    const rewritten = chain(10).map((r) => r); // same shape
    const forged = [{ ...rewritten[0]!, actor: 'mallory' }];
    let prev = GENESIS_HASH;
    const rechained = [...forged, ...rewritten.slice(1)].map((r) => {
      const fixed = { ...r, prev_hash: prev };
      const hash = chainHash(prev, fixed);
      prev = hash;
      return { ...fixed, hash };
    });
    expect(await verify(file(rechained, signed))).toMatchObject({ valid: false, first_invalid_id: '5', reason: expect.stringMatching(/differs from signed checkpoint/) });
  });

  it('rejects forged checkpoints and ignores checkpoints of other keys', async () => {
    const moved = { ...signed[1]!, head_seq: '8', head_hash: rows[7]!.hash };
    expect(await verify(file(rows.slice(0, 8), [signed[0]!, moved]))).toMatchObject({ valid: false, reason: expect.stringMatching(/invalid signature/) });
    const other = generateKeyPairSync('ed25519').privateKey;
    const foreign = checkpoint(3, rows[9]!, other);
    expect(await verify(file(rows, [...signed, foreign]))).toMatchObject({ valid: true, checkpoints_ignored: 1 });
    expect(await verify(file(rows, [foreign]))).toMatchObject({ valid: false, reason: expect.stringMatching(/no checkpoint signed by this key/) });
  });

  it('starts a pruned chain at the signed cut', async () => {
    const kept = rows.slice(4);
    const cut = checkpoint(3, rows[9]!, privateKey, { kind: 'prune', first_seq: '5', first_prev_hash: rows[3]!.hash });
    expect(await verify(file(kept, [cut]))).toMatchObject({ valid: true, checked: 6 });
    expect(await verify(file(kept.slice(1), [cut]))).toMatchObject({ valid: false, first_invalid_id: '6' });
    expect(await verify(file(kept, []))).toMatchObject({ valid: false, first_invalid_id: '5' });
  });

  it('requires the end line, and --allow-partial for a ranged export', async () => {
    expect(await verify(file(rows, signed, { end: false }))).toMatchObject({ valid: false, reason: expect.stringMatching(/cut short/) });
    const middle = rows.slice(3, 7);
    expect(await verify(file(middle, [], { complete: false }))).toMatchObject({ valid: false, reason: expect.stringMatching(/--allow-partial/) });
    expect(await verify(file(middle, [], { complete: false }), true)).toMatchObject({ valid: true, checked: 4, partial: true });
    expect(await verify(file(middle, [checkpoint(1, rows[4]!)], { complete: false }), true)).toMatchObject({ valid: true, checkpoints_checked: 1 });
  });

  it('rejects what is not an export', async () => {
    expect(await verify(['hello'])).toMatchObject({ valid: false });
    expect(await verify([JSON.stringify({ type: 'event', ...rows[0] })])).toMatchObject({ valid: false, reason: expect.stringMatching(/no header/) });
    expect(await verify([...file(rows, signed), JSON.stringify({ type: 'event', ...rows[0] })])).toMatchObject({ valid: false, reason: expect.stringMatching(/after the end/) });
    const missingField = file(rows, signed).map((l) => (l.includes('"seq":"2"') ? l.replace(/,"user_agent":"[^"]*"/, '') : l));
    expect(await verify(missingField)).toMatchObject({ valid: false, reason: expect.stringMatching(/lacks "user_agent"/) });
    expect(await verify([])).toMatchObject({ valid: false, reason: expect.stringMatching(/no header/) });
  });

  it('accepts an empty log', async () => {
    expect(await verify(file([], []))).toMatchObject({ valid: true, checked: 0 });
  });
});

describe('public key input', () => {
  const pem = publicKeyPem(publicKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  it.each([
    ['PEM text', pem],
    ['PEM with escaped newlines', pem.replace(/\n/g, '\\n')],
    ['base64 of the PEM', Buffer.from(pem).toString('base64')],
    ['base64 of the SPKI DER', der.toString('base64')],
    ['base64 of the raw key', der.subarray(12).toString('base64')],
  ])('reads %s', (_, text) => {
    expect(keyIdOf(parsePublicKey(text))).toBe(keyId);
  });

  it('refuses other keys and junk', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => parsePublicKey(rsa)).toThrow(/Ed25519/);
    expect(() => parsePublicKey('not a key!')).toThrow();
  });
});
