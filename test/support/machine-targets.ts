import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';

/** The machine's MariaDB and Redis on 127.0.0.1, as the rotator tests use them directly. */
export const TARGET_HOST = '127.0.0.1';
export const MARIADB_PORT = 3306;
export const REDIS_PORT = 6379;

/** MariaDB as root (no password), for setting up and removing a test's accounts. */
export async function asMysqlRoot<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ host: TARGET_HOST, port: MARIADB_PORT, user: 'root', password: '' });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function canMysqlLogin(user: string, password: string): Promise<boolean> {
  try {
    const c = await mysql.createConnection({ host: TARGET_HOST, port: MARIADB_PORT, user, password, connectTimeout: 5000 });
    await c.query('SELECT 1');
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** One Redis connection with `login` (none: the default user), no retries. */
export async function redisAs<T>(login: { user?: string; password?: string }, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: TARGET_HOST, port: REDIS_PORT, username: login.user, password: login.password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

export const canRedisLogin = (user: string, password: string) => redisAs({ user, password }, (r) => r.call('ACL', 'WHOAMI')).then((w) => w === user, () => false);
