/**
 * Domain errors: services throw these (never HTTP exceptions) so crons and tasks can call the
 * same code. `DomainErrorFilter` maps each code to an HTTP status in one exhaustive table.
 */
export const DomainErrorCode = {
  NotFound: 'not_found',
  Conflict: 'conflict',
  VersionMismatch: 'version_mismatch',
  InvalidInput: 'invalid_input',
  Gone: 'gone',
  StoreUnavailable: 'store_unavailable',
  AuditUnavailable: 'audit_unavailable',
  /** PostgreSQL is unreachable, frozen or past a timeout: 503 with Retry-After. */
  DatabaseUnavailable: 'database_unavailable',
  /** The request did not finish within REQUEST_TIMEOUT_MS: 503 with Retry-After. */
  RequestTimeout: 'request_timeout',
  RotationInProgress: 'rotation_in_progress',
  Unprocessable: 'unprocessable',
  RateLimited: 'rate_limited',
  /** A valid token whose subject an incident has locked out (src/incidents): 403 until an admin lifts it. */
  SubjectLockedOut: 'subject_locked_out',
  /** Work at a system outside Strongroom (a rotation target) failed for good. */
  UpstreamFailed: 'upstream_failed',
} as const;
export type DomainErrorCode = (typeof DomainErrorCode)[keyof typeof DomainErrorCode];

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Safe, value-free details returned to the client (e.g. the failing fields). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, id: string) =>
  new DomainError(DomainErrorCode.NotFound, `${what} ${id} not found`);
