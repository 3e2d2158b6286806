import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { ConfigError } from '../config/index.js';
import { pgTarget } from './database-tls.js';

/** The database cannot be reached (it may come back): the boot stops and the orchestrator retries. */
export class DatabaseUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnreachableError';
  }
}

/** Errors worth another attempt: the server is not (yet) listening or answering. */
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', '57P03']);
/** PostgreSQL refusals that only a change of settings fixes. */
const SETTINGS = new Map([
  ['28P01', 'the password was refused'],
  ['28000', 'the login was refused'],
  ['3D000', 'the database does not exist'],
]);

/** host:port of a database URL, never its user or password. */
export function databaseAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/**
 * Connects once before the application is built, with a few quick attempts, so an unreachable
 * database ends the boot in seconds with one message naming the address and the cause, rather
 * than after TypeORM's long retry loop and its stack traces.
 */
export async function checkDatabase(
  url: string,
  { attempts = 5, delayMs = 1000, timeoutMs = 5000, caFile }: { attempts?: number; delayMs?: number; timeoutMs?: number; caFile?: string } = {},
): Promise<void> {
  const where = databaseAddress(url);
  const target = pgTarget(url, caFile);
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({
      connectionString: target.url,
      ...(target.ssl === undefined ? {} : { ssl: target.ssl }),
      connectionTimeoutMillis: timeoutMs,
      application_name: 'strongroom',
    });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      const code = err.code ?? (/timeout/i.test(err.message ?? '') ? 'ETIMEDOUT' : undefined);
      const refusal = code ? SETTINGS.get(code) : undefined;
      if (refusal) throw new ConfigError(`DATABASE_URL: the database at ${where} refused the connection: ${refusal}`);
      if (code === 'ENOTFOUND') throw new ConfigError(`DATABASE_URL: the database host of ${where} is not known (ENOTFOUND)`);
      if (!code || !TRANSIENT.has(code) || attempt >= attempts) {
        throw new DatabaseUnreachableError(`cannot connect to the database at ${where}: ${code ?? err.message ?? 'unknown error'}`);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    await delay(delayMs);
  }
}
