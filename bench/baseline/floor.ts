/**
 * The floor: the service's own database work per request with no framework around it — Fastify,
 * a pg pool (size 10, as the service), the SERVICE's schema and the SERVICE's SQL text, so that
 * floor / baseline shows the ceiling the design's SQL allows and service / floor what the
 * framework (NestJS pipeline, passport, class-validator, TypeORM, interceptors, metrics, logging)
 * costs on top. It writes into a database a real service process also runs on (started first, so
 * the migrations ran and its background sealer chains the audit rows written here). Run as its
 * own process (bench/lib/processes.ts `startFloor`).
 *
 *   GET  /api/v1/secrets/:id/value   JWT (HS256; signature check skipped for a token verified
 *        before: the service's VerifiedTokenCache, claimProblem, actorFromClaims), admin only;
 *        the service's read fast path (LocalSecretStore.locate, one SELECT), unwrap + decrypt with
 *        src/crypto; the reader noted in memory and upserted into secret_consumers every 200 ms
 *        (SecretConsumers); the audit row group-committed (src/audit-log/group-commit.ts, the
 *        AuditLog INSERT text) and the reply sent only after that INSERT committed.
 *   POST /api/v1/secrets/            JWT as above; START TRANSACTION, INSERT secrets (TypeORM's
 *        statement text), INSERT local_secret_payloads (the local store's check-and-set INSERT),
 *        INSERT secret_versions (TypeORM's text), INSERT audit_events (the AuditLog text, one row),
 *        COMMIT — the statements, order and parameter values of SecretsService.create.
 *   GET  /health                     200 once the pool answers
 *
 * Omitted on purpose (framework or policy work, no SQL): class-validator DTOs (only "three strings"
 * is checked), value checks per type, access policies (a reader gets 403 here instead of a policy
 * evaluation), the failure limiter and lockout set, metrics, access logs, security headers,
 * the exception filter's error shapes.
 *
 * Imports only framework-free modules of src/ (crypto, auth claims and token cache, group commit,
 * the service's own statement texts and audit row building);
 * the harness compiles this file with SWC and points those imports at dist/src/ (the build).
 *
 * Env: PORT, HOST, DATABASE_URL, LOCAL_ENCRYPTION_KEY (base64 of 32 bytes), JWT_SECRET, POOL_SIZE.
 */
import { createHash, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { AuditAction, type AuditEventInput } from '../../src/audit-log/audit-catalogue.js';
import { AUDIT_INSERT, auditRowsJson } from '../../src/audit-log/audit-insert.js';
import { GroupCommit } from '../../src/audit-log/group-commit.js';
import { PreparingClient } from '../../src/database/bounded-client.js';
import { CONSUMERS_UPSERT } from '../../src/secrets/consumers-upsert.js';
import { LOCATE, PUT_PAYLOAD } from '../../src/secrets/store/local-store-sql.js';
import { actorFromClaims } from '../../src/auth/claims.js';
import { claimProblem } from '../../src/auth/token-claims.js';
import { VerifiedTokenCache } from '../../src/auth/verified-token-cache.js';
import { envelopeKeyId, open, seal } from '../../src/crypto/envelope.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { KeyRing } from '../../src/crypto/key-ring.js';

const kek = Buffer.from(process.env.LOCAL_ENCRYPTION_KEY ?? '', 'base64');
const ring = new KeyRing({ current: kek, previous: [] });
const jwtKey = createSecretKey(Buffer.from(process.env.JWT_SECRET ?? ''));
if (!process.env.JWT_SECRET) throw new Error('JWT_SECRET is required');

/** The service's defaults (src/config/app-config.ts). */
const AUTH = { clockSkewSeconds: 30, maxTokenLifetimeSeconds: 86_400, rolesClaim: 'roles' };
const DEFAULT_ROTATION_INTERVAL_DAYS = 90;
const CONSUMER_FLUSH_INTERVAL_MS = 200;

// The service's own pool client: statements run often become named prepared statements, as in the
// service on an external PostgreSQL (src/database/bounded-client.ts), so both sides plan alike
// (through `query` below).
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10), Client: PreparingClient });

/**
 * A statement on a checked-out client, as TypeORM runs the service's: `client.query(text, values)`.
 * (`pool.query` passes a callback as a third argument, which PreparingClient never prepares.)
 */
async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
  const client = await pool.connect();
  try {
    return await client.query<R>(text, values);
  } finally {
    client.release();
  }
}

// ---- SQL: the service's statement texts (its own modules; TypeORM's captured with log_statement) --

/** TypeORM's INSERT for SecretEntity, as captured with log_statement from the service. */
const INSERT_SECRET =
  'INSERT INTO "secrets"("id", "name", "secret_type", "description", "tags", "store", "encrypt_locally", "current_version", "current_store_version", "created_at", "created_by", "updated_at", "expires_at", "last_rotated_at", "next_rotation_at", "rotation_interval_days", "grace_period_hours", "previous_retire_at", "rotation_status", "rotator", "deleted_at", "deleted_by", "purge_after") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) RETURNING "tags", "rotation_status"';

/** TypeORM's INSERT for SecretVersionEntity, as captured with log_statement from the service. */
const INSERT_VERSION =
  'INSERT INTO "secret_versions"("secret_id", "version", "state", "store_version", "key_id", "fingerprint", "fingerprint_key_id", "created_at", "created_by", "destroyed_at") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)';

// ---- audit rows: AuditLog's own INSERT and row building (src/audit-log/audit-insert.ts) ---------

/** Reads' rows: concurrent requests share one INSERT (autocommit), each waits for its commit. */
const auditBatches = new GroupCommit<AuditEventInput>(async (rows) => {
  await query(AUDIT_INSERT, [auditRowsJson(rows, () => new Date())]);
});

// ---- secret_consumers: SecretConsumers.record / flush ------------------------------------------

interface PendingRead {
  secret_id: string;
  sub: string;
  last_version: number;
  first_read_at: string;
  last_read_at: string;
  read_count: number;
}
let pendingReads = new Map<string, PendingRead>();
let consumerTimer: NodeJS.Timeout | undefined;
let consumerWriting: Promise<void> = Promise.resolve();

function noteRead(secretId: string, sub: string, version: number, at: Date): void {
  const key = `${secretId}\u0000${sub}`;
  const t = at.toISOString();
  const seen = pendingReads.get(key);
  if (seen) {
    if (t >= seen.last_read_at) {
      seen.last_read_at = t;
      seen.last_version = version;
    }
    seen.read_count += 1;
  } else {
    pendingReads.set(key, { secret_id: secretId, sub, last_version: version, first_read_at: t, last_read_at: t, read_count: 1 });
  }
  if (!consumerTimer) {
    consumerTimer = setTimeout(() => {
      consumerTimer = undefined;
      void flushReads();
    }, CONSUMER_FLUSH_INTERVAL_MS);
    consumerTimer.unref();
  }
}

function flushReads(): Promise<void> {
  if (pendingReads.size === 0) return consumerWriting;
  const batch = [...pendingReads.values()];
  pendingReads = new Map();
  consumerWriting = consumerWriting.then(() =>
    query(CONSUMERS_UPSERT, [JSON.stringify(batch)]).then(
      () => undefined,
      (e: Error) => console.error(`consumer reads not written: ${e.message}`),
    ),
  );
  return consumerWriting;
}

// ---- authentication: JwtStrategy + VerifiedTokenCache -------------------------------------------

interface Actor {
  sub: string;
  roles: string[];
}

const verified = new VerifiedTokenCache({ clockToleranceSeconds: AUTH.clockSkewSeconds });
const tokenKey = (token: string) => createHash('sha256').update(token).digest('base64');

/** The actor, or undefined after answering 401/403 itself. Admin only (no access policies here). */
function authenticate(req: FastifyRequest, reply: FastifyReply): Actor | undefined {
  const header = req.headers.authorization;
  const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
  if (!token) {
    void reply.code(401).send({ error: 'authentication required' });
    return undefined;
  }
  const key = tokenKey(token);
  let claims = verified.get(key);
  if (!claims) {
    try {
      claims = jwt.verify(token, jwtKey as unknown as string, { algorithms: ['HS256'], clockTolerance: AUTH.clockSkewSeconds }) as Record<string, unknown>;
    } catch {
      void reply.code(401).send({ error: 'invalid token' });
      return undefined;
    }
  }
  const problem = claimProblem(claims, AUTH, Math.floor(Date.now() / 1000));
  if (problem) {
    void reply.code(401).send({ error: `invalid token: ${problem}` });
    return undefined;
  }
  verified.remember(key, claims);
  const actor = actorFromClaims(claims, AUTH.rolesClaim, false);
  if (!actor.roles.includes('admin')) {
    void reply.code(403).send({ error: 'the floor server serves admin tokens only' });
    return undefined;
  }
  return actor;
}

const origin = (req: FastifyRequest, actor: Actor) => ({
  actor: actor.sub,
  roles: actor.roles,
  requestId: String(req.id),
  clientIp: req.ip ?? null,
  userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
});

// ---- routes ---------------------------------------------------------------------------------------

const app = Fastify({ logger: false, genReqId: () => randomUUID(), routerOptions: { ignoreTrailingSlash: true } });

interface ServingRow {
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

app.get<{ Params: { id: string } }>('/api/v1/secrets/:id/value', async (req, reply) => {
  const actor = authenticate(req, reply);
  if (!actor) return reply;
  const { rows } = await query<ServingRow>(LOCATE, [req.params.id, null]);
  const found = rows[0];
  if (!found || found.version === null || found.state === 'pending') return reply.code(404).send({ error: 'not found' });
  if (found.state === 'destroyed') return reply.code(410).send({ error: 'destroyed' });
  if (found.store !== 'local' || found.payload === null) return reply.code(422).send({ error: 'the floor serves the local store only' });
  const value = open(ring, found.payload, { secretId: found.id, version: found.version });
  noteRead(found.id, actor.sub, found.version, new Date());
  await auditBatches.add({
    ...origin(req, actor),
    occurredAt: new Date(),
    action: AuditAction.SecretValueRead,
    outcome: 'success',
    secretId: found.id,
    secretName: found.name,
    details: { method: 'GET', route: '/api/v1/secrets/:id/value', version: found.current_version },
  });
  return { id: found.id, name: found.name, secret_type: found.secret_type, version: found.version, value };
});

app.post<{ Body: { name?: unknown; secret_type?: unknown; value?: unknown } }>('/api/v1/secrets/', async (req, reply) => {
  const actor = authenticate(req, reply);
  if (!actor) return reply;
  const { name, secret_type: type, value } = req.body ?? {};
  if (typeof name !== 'string' || typeof type !== 'string' || typeof value !== 'string') {
    return reply.code(400).send({ error: 'name, secret_type and value are required strings' });
  }
  const id = `sec_${randomBytes(12).toString('base64url')}`;
  const now = new Date();
  const nextRotationAt = new Date(now.getTime() + DEFAULT_ROTATION_INTERVAL_DAYS * 86_400_000);
  const aad = { secretId: id, version: 1 };
  const payload = seal(ring, value, aad);
  const fp = fingerprint(ring, ring.currentKeyId, value, aad);
  const client = await pool.connect();
  let released = false;
  try {
    await client.query('START TRANSACTION');
    try {
      await client.query(INSERT_SECRET, [
        id, name, type, null, '{}', 'local', true, 1, 1, now, actor.sub, now, null, null, nextRotationAt, DEFAULT_ROTATION_INTERVAL_DAYS, null, null, 'none', null, null, null, null,
      ]);
      const put = await client.query(PUT_PAYLOAD, [id, 1, payload, 0]);
      if (put.rowCount !== 1) throw new Error('store conflict');
      await client.query(INSERT_VERSION, [id, 1, 'current', 1, envelopeKeyId(payload), fp, ring.currentKeyId, now, actor.sub, null]);
      await client.query(AUDIT_INSERT, [
        auditRowsJson([
          {
            ...origin(req, actor),
            occurredAt: new Date(),
            action: AuditAction.SecretCreated,
            outcome: 'success',
            secretId: id,
            secretName: name,
            details: { method: 'POST', route: '/api/v1/secrets', secret_type: type },
          },
        ], () => new Date()),
      ]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      if ((e as { code?: string }).code === '23505') return reply.code(409).send({ error: 'name taken' });
      throw e;
    }
  } catch (e) {
    client.release(e as Error);
    released = true;
    throw e;
  } finally {
    if (!released) client.release();
  }
  const at = now.toISOString();
  return reply.code(201).send({
    id,
    name,
    secret_type: type,
    description: null,
    version: 1,
    tags: {},
    store: 'local',
    encrypt_locally: true,
    created_at: at,
    created_by: actor.sub,
    updated_at: at,
    expires_at: null,
    last_rotated_at: null,
    next_rotation_at: nextRotationAt.toISOString(),
    rotation_interval_days: DEFAULT_ROTATION_INTERVAL_DAYS,
    rotation_status: 'none',
    grace_period_hours: null,
    rotator: null,
  });
});

app.get('/health', async () => {
  await pool.query('SELECT 1');
  return { status: 'ok' };
});

await app.listen({ port: Number(process.env.PORT ?? 8002), host: process.env.HOST ?? '127.0.0.1' });

const shutdown = () => {
  void app
    .close()
    .then(() => auditBatches.idle())
    .then(() => flushReads())
    .then(() => pool.end())
    .then(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
