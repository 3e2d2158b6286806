/**
 * Fast seeding straight into the service's own tables (COPY through psql), with the service's
 * own envelope, fingerprint and hash-chain functions, so the rows are exactly what the service
 * would have written itself — only without 100,000 HTTP round trips.
 */
import { randomBytes } from 'node:crypto';
import { chainHash, GENESIS_HASH } from '../../src/audit/audit-chain.js';
import { lockKey } from '../../src/database/advisory-lock.js';
import pg from 'pg';
import { fingerprint, generateValue, KeyRing, seal, type SecretType } from '../../src/crypto/index.js';
import { copyIn, csvField, withClient } from './db.js';
import { RUN_KEYS } from './settings.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DAY = 86_400_000;

export function randomValue(length: number): string {
  const bytes = randomBytes(length);
  let s = '';
  for (let i = 0; i < length; i++) s += ALNUM[bytes[i]! % 62];
  return s;
}

const newId = () => `sec_${randomBytes(12).toString('base64url')}`;

export interface SeededSecret {
  id: string;
  name: string;
  type: string;
  value: string;
}

const ring = () => new KeyRing({ current: Buffer.from(RUN_KEYS.encryptionKey, 'base64'), previous: [] });

/** Types with a generator, used round-robin when seeding a mixed population. */
const MIXED_TYPES: SecretType[] = ['API_KEY', 'API_KEY', 'API_KEY', 'DATABASE_PASSWORD', 'ENCRYPTION_KEY', 'JWT_SECRET', 'WEBHOOK_SECRET'];

/**
 * Inserts `count` live secrets, each with one current version and its envelope in the local
 * store, created one millisecond apart ending now. `mixed` also varies the type and makes some
 * secrets overdue for rotation and some expired (for reports).
 */
export async function seedServiceSecrets(
  url: string,
  count: number,
  o: { prefix: string; type?: SecretType; mixed?: boolean; valueLength: number },
): Promise<{ sample: SeededSecret[]; all: SeededSecret[] }> {
  const keys = ring();
  const now = Date.now();
  const start = now - count - 60_000;
  const all: SeededSecret[] = [];
  const secrets: string[] = [];
  const versions: string[] = [];
  const payloads: string[] = [];
  for (let i = 0; i < count; i++) {
    const type: SecretType = o.mixed ? MIXED_TYPES[i % MIXED_TYPES.length]! : (o.type ?? 'API_KEY');
    const value = type === 'API_KEY' || !o.mixed ? randomValue(o.valueLength) : generateValue(type);
    const id = newId();
    const name = `${o.prefix}-${i}`;
    const createdAt = new Date(start + i).toISOString();
    const interval = 90;
    // Mixed: one in ten overdue for rotation, one in twenty expired.
    const nextRotation = o.mixed && i % 10 === 0 ? new Date(now - 5 * DAY) : new Date(start + i + interval * DAY);
    const expiresAt = o.mixed && i % 20 === 1 ? new Date(now - 2 * DAY).toISOString() : null;
    const aad = { secretId: id, version: 1 };
    const envelope = seal(keys, value, aad);
    const fp = fingerprint(keys, keys.currentKeyId, value, aad);
    secrets.push(
      [id, name, type, null, '{}', 'local', 't', 1, 1, createdAt, 'bench-seed', createdAt, expiresAt, null, nextRotation.toISOString(), interval, 'none', null, null, null, null]
        .map(csvField)
        .join(',') + '\n',
    );
    versions.push([id, 1, 'current', 1, keys.currentKeyId, fp, keys.currentKeyId, createdAt, 'bench-seed', null].map(csvField).join(',') + '\n');
    payloads.push([id, 1, envelope].map(csvField).join(',') + '\n');
    all.push({ id, name, type, value });
  }
  await copyIn(
    url,
    'secrets',
    ['id', 'name', 'secret_type', 'description', 'tags', 'store', 'encrypt_locally', 'current_version', 'current_store_version', 'created_at', 'created_by', 'updated_at', 'expires_at', 'last_rotated_at', 'next_rotation_at', 'rotation_interval_days', 'rotation_status', 'rotator', 'deleted_at', 'deleted_by', 'purge_after'],
    secrets,
  );
  await copyIn(url, 'secret_versions', ['secret_id', 'version', 'state', 'store_version', 'key_id', 'fingerprint', 'fingerprint_key_id', 'created_at', 'created_by', 'destroyed_at'], versions);
  await copyIn(url, 'local_secret_payloads', ['secret_id', 'store_version', 'payload'], payloads);
  await vacuumAnalyze(url, ['secrets', 'secret_versions', 'local_secret_payloads']);
  return { sample: all.slice(0, 5), all };
}

/** The baseline's table gets the same secrets (same ids, values and envelope format). */
export async function seedBaselineSecrets(url: string, rows: SeededSecret[]): Promise<void> {
  const keys = ring();
  const lines = rows.map(
    (r) => [r.id, r.name, r.type, 1, seal(keys, r.value, { secretId: r.id, version: 1 }), new Date().toISOString()].map(csvField).join(',') + '\n',
  );
  await copyIn(url, 'baseline_secrets', ['id', 'name', 'secret_type', 'version', 'payload', 'created_at'], lines);
  await vacuumAnalyze(url, ['baseline_secrets']);
}

export async function vacuumAnalyze(url: string, tables: string[]): Promise<void> {
  await withClient(url, async (c) => {
    for (const t of tables) await c.query(`VACUUM ANALYZE ${t}`);
  });
}

const AUDIT_COLUMNS = ['seq', 'occurred_at', 'actor', 'roles', 'action', 'outcome', 'secret_id', 'secret_name', 'request_id', 'client_ip', 'user_agent', 'details', 'prev_hash', 'hash'];
const AGENTS = ['strongroom-cli/1.4.2', 'python-requests/2.32.3', 'Go-http-client/1.1', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0'];

/**
 * Appends `count` sealed audit events that continue the sealed hash chain. The sealer's pass lock
 * (advisory lock 'audit-seal', which every sealing pass takes) is held from reading the head until
 * the COPY has committed, so a running service's sealer waits and then chains the rows its
 * requests wrote meanwhile (unsealed) onto the seeded ones.
 * Times run from the head's time (or 30 days ago) up to now. A mix of value reads, reads, lists,
 * writes, rotations and denials over `secrets`.
 */
export async function seedAuditEvents(url: string, count: number, secrets: { id: string; name: string }[]): Promise<{ headSeq: string }> {
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1::bigint)', [lockKey('audit-seal')]);
    return await seedAuditEventsLocked(url, count, secrets);
  } finally {
    await lock.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    await lock.end();
  }
}

async function seedAuditEventsLocked(url: string, count: number, secrets: { id: string; name: string }[]): Promise<{ headSeq: string }> {
  const head = await withClient(url, async (c) => {
    const r = await c.query<{ seq: string; hash: string; occurred_at: Date }>('SELECT seq, hash, occurred_at FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1');
    if (r.rows[0]) return r.rows[0];
    const cp = await c.query<{ head_hash: string }>("SELECT head_hash FROM audit_checkpoints WHERE kind = 'prune' ORDER BY id DESC LIMIT 1");
    return { seq: '0', hash: cp.rows[0]?.head_hash ?? GENESIS_HASH, occurred_at: new Date(Date.now() - 30 * DAY) };
  });
  let seq = BigInt(head.seq);
  let prev = head.hash;
  const from = Math.max(head.occurred_at.getTime() + 1, Date.now() - 30 * DAY);
  const step = Math.max(0, (Date.now() - 1000 - from) / Math.max(1, count));
  const lines = function* (): Generator<string> {
    for (let i = 0; i < count; i++) {
      seq += 1n;
      const k = Number(seq % 100n);
      const s = secrets.length ? secrets[(i * 7919) % secrets.length]! : null;
      const user = `user-${i % 50}@example.com`;
      let action: string;
      let outcome = 'success';
      let actor = user;
      let roles: string[] = ['admin'];
      let secret: { id: string; name: string } | null = s;
      let details: Record<string, string | number | boolean | null>;
      if (k < 60) {
        action = 'secret.value_read';
        details = { method: 'GET', route: '/api/v1/secrets/:id/value', version: 1 };
      } else if (k < 70) {
        action = 'secret.read';
        roles = ['auditor'];
        details = { method: 'GET', route: '/api/v1/secrets/:id' };
      } else if (k < 80) {
        action = 'secret.listed';
        secret = null;
        details = { method: 'GET', route: '/api/v1/secrets' };
      } else if (k < 85) {
        action = 'secret.created';
        details = { method: 'POST', route: '/api/v1/secrets', secret_type: 'API_KEY' };
      } else if (k < 90) {
        action = 'secret.value_updated';
        details = { method: 'PUT', route: '/api/v1/secrets/:id/value', version: 2 };
      } else if (k < 93) {
        action = 'secret.rotated';
        actor = 'system:rotation';
        roles = [];
        details = { version: 2, trigger: 'schedule' };
      } else if (k < 97) {
        action = 'auth.denied';
        outcome = 'denied';
        actor = 'anonymous';
        roles = [];
        secret = null;
        details = { method: 'GET', route: '/api/v1/secrets/:id/value', status: 401, reason: 'invalid token' };
      } else {
        action = 'auth.forbidden';
        outcome = 'denied';
        roles = ['auditor'];
        details = { method: 'GET', route: '/api/v1/secrets/:id/value', status: 403 };
      }
      const row = {
        seq: seq.toString(),
        occurred_at: new Date(Math.floor(from + i * step)).toISOString(),
        actor,
        roles,
        action,
        outcome,
        secret_id: secret?.id ?? null,
        secret_name: secret?.name ?? null,
        request_id: `bench-${seq.toString(16)}`,
        client_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        user_agent: AGENTS[i % AGENTS.length]!,
        details,
        prev_hash: prev,
      };
      const hash = chainHash(prev, row);
      prev = hash;
      yield [
        row.seq,
        row.occurred_at,
        row.actor,
        `{${roles.join(',')}}`,
        row.action,
        row.outcome,
        row.secret_id,
        row.secret_name,
        row.request_id,
        row.client_ip,
        row.user_agent,
        JSON.stringify(details),
        row.prev_hash,
        hash,
      ]
        .map(csvField)
        .join(',') + '\n';
    }
  };
  await copyIn(url, 'audit_events', AUDIT_COLUMNS, lines());
  await vacuumAnalyze(url, ['audit_events']);
  return { headSeq: seq.toString() };
}
