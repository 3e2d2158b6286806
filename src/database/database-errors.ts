import { DomainError, DomainErrorCode } from '../common/domain-error.js';

/** SQLSTATE classes and codes that mean "the database cannot serve this now", not "bad request". */
const UNAVAILABLE_CODES = new Set([
  '57014', // query_canceled (statement_timeout)
  '25P03', // idle_in_transaction_session_timeout
  '57P01', // admin_shutdown (pg_terminate_backend, server stopping)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
]);
const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect', // pg-pool: no connection within DATABASE_ACQUIRE_TIMEOUT_MS
  'Connection terminated', // covers "… unexpectedly" and "… due to connection timeout"
  'Query read timeout', // no reply from the server (frozen)
  'Client was closed and is not queryable',
  'Client has encountered a connection error and is not queryable',
  'Driver not Connected',
];
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * Whether `e` (a driver error, TypeORM's QueryFailedError around one, or an error caused by one)
 * says the database is unreachable, frozen or timing out, so the answer is 503 and a retry.
 */
export function isDatabaseUnavailable(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 4) return false;
  if (e instanceof DomainError) return e.code === DomainErrorCode.DatabaseUnavailable;
  const err = e as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  const message = typeof err.message === 'string' ? err.message : '';
  if (UNAVAILABLE_CODES.has(code) || (code.startsWith('08') && code.length === 5) || UNAVAILABLE_ERRNO.has(code)) return true;
  // lock_timeout, or the embedded database's bounded wait for another connection's transaction.
  if (code === '55P03' && (message.includes('lock timeout') || message.startsWith('embedded database: waited'))) return true;
  if (UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return true;
  return isDatabaseUnavailable(err.driverError, depth + 1) || isDatabaseUnavailable(err.cause, depth + 1);
}

export const databaseUnavailable = () =>
  new DomainError(DomainErrorCode.DatabaseUnavailable, 'the database is unavailable; retry shortly');
