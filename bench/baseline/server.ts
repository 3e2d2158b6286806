/**
 * The baseline: the unavoidable work of a secrets read and write with nothing else — Fastify,
 * a pg pool, AES-256-GCM envelope encryption in the service's own format; no framework, no auth,
 * no audit, no validation library. Run as its own process (bench/lib/processes.ts starts it).
 *
 *   GET  /secrets/:id  one row by primary key; unwrap the data key with the KEK (AES-256-GCM,
 *                      AAD strongroom:dek:v1:<keyId>), decrypt the value with the data key
 *                      (AES-256-GCM, AAD strongroom:v1:<id>:<version>)
 *   POST /secrets      {name, secret_type, value}: seal under a fresh data key, one INSERT
 *   GET  /health       200 once the pool answers
 *
 * Env: PORT, HOST, DATABASE_URL, LOCAL_ENCRYPTION_KEY (base64 of 32 bytes), POOL_SIZE.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const kek = Buffer.from(process.env.LOCAL_ENCRYPTION_KEY ?? '', 'base64');
if (kek.length !== 32) throw new Error('LOCAL_ENCRYPTION_KEY must be base64 of 32 bytes');
const kekId = 'k_' + createHmac('sha256', kek).update('strongroom-key-id').digest('hex').slice(0, 16);

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) });

export const BASELINE_TABLE_DDL = `CREATE TABLE IF NOT EXISTS baseline_secrets (
  id varchar(40) PRIMARY KEY,
  name varchar(128) NOT NULL UNIQUE,
  secret_type varchar(32) NOT NULL,
  version integer NOT NULL,
  payload text NOT NULL,
  created_at timestamptz NOT NULL
)`;

function gcm(key: Buffer, plaintext: Buffer, aad: Buffer): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 }).setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return `${iv.toString('base64url')}.${ct.toString('base64url')}.${c.getAuthTag().toString('base64url')}`;
}

function ungcm(key: Buffer, iv: string, ct: string, tag: string, aad: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
  d.setAAD(aad).setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]);
}

function seal(value: string, id: string, version: number): string {
  const dek = randomBytes(32);
  const wrapped = gcm(kek, dek, Buffer.from(`strongroom:dek:v1:${kekId}`));
  const sealed = gcm(dek, Buffer.from(value, 'utf8'), Buffer.from(`strongroom:v1:${id}:${version}`));
  return `sr1.${kekId}.${wrapped}.${sealed}`;
}

function open(envelope: string, id: string, version: number): string {
  const p = envelope.split('.');
  if (p.length !== 8 || p[0] !== 'sr1' || p[1] !== kekId) throw new Error('bad envelope');
  const dek = ungcm(kek, p[2]!, p[3]!, p[4]!, Buffer.from(`strongroom:dek:v1:${p[1]}`));
  return ungcm(dek, p[5]!, p[6]!, p[7]!, Buffer.from(`strongroom:v1:${id}:${version}`)).toString('utf8');
}

const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>('/secrets/:id', async (req, reply) => {
  const { rows } = await pool.query<{ id: string; name: string; secret_type: string; version: number; payload: string }>(
    'SELECT id, name, secret_type, version, payload FROM baseline_secrets WHERE id = $1',
    [req.params.id],
  );
  const row = rows[0];
  if (!row) return reply.code(404).send({ error: 'not found' });
  return { id: row.id, name: row.name, secret_type: row.secret_type, version: row.version, value: open(row.payload, row.id, row.version) };
});

app.post<{ Body: { name?: unknown; secret_type?: unknown; value?: unknown } }>('/secrets', async (req, reply) => {
  const { name, secret_type: type, value } = req.body ?? {};
  if (typeof name !== 'string' || typeof type !== 'string' || typeof value !== 'string') {
    return reply.code(400).send({ error: 'name, secret_type and value are required strings' });
  }
  const id = `sec_${randomBytes(12).toString('base64url')}`;
  const createdAt = new Date();
  try {
    await pool.query('INSERT INTO baseline_secrets (id, name, secret_type, version, payload, created_at) VALUES ($1, $2, $3, 1, $4, $5)', [
      id,
      name,
      type,
      seal(value, id, 1),
      createdAt,
    ]);
  } catch (e) {
    if ((e as { code?: string }).code === '23505') return reply.code(409).send({ error: 'name taken' });
    throw e;
  }
  return reply.code(201).send({ id, name, secret_type: type, version: 1, created_at: createdAt.toISOString() });
});

app.get('/health', async () => {
  await pool.query('SELECT 1');
  return { status: 'ok' };
});

await pool.query(BASELINE_TABLE_DDL);
await app.listen({ port: Number(process.env.PORT ?? 8001), host: process.env.HOST ?? '127.0.0.1' });

const shutdown = () => {
  void app.close().then(() => pool.end()).then(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
