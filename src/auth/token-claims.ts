/**
 * Subjects our own code uses for audit rows; a token naming one could pass for the system.
 * Kubernetes service accounts (`system:serviceaccount:<ns>:<name>`) are not ours: no job is named so.
 */
const RESERVED_SUBJECT = /^(system:(?!serviceaccount:).*|anonymous|unknown)$/i;
export const MAX_SUBJECT_LENGTH = 256;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface ClaimPolicy {
  clockSkewSeconds: number;
  maxTokenLifetimeSeconds: number;
}

/**
 * The checks jsonwebtoken leaves to us (it verifies exp and nbf only when present, never iat):
 * returns why the token is refused, or undefined. Times are NumericDate seconds.
 */
export function claimProblem(payload: Record<string, unknown>, policy: ClaimPolicy, nowSeconds: number): string | undefined {
  const { exp, iat, nbf, sub } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'exp claim required';
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) return 'iat must be a NumericDate';
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) return 'nbf must be a NumericDate';
  const latest = nowSeconds + policy.clockSkewSeconds;
  if (typeof iat === 'number' && iat > latest) return 'iat is in the future';
  if (typeof nbf === 'number' && nbf > latest) return 'jwt not active';
  const lifetime = exp - (typeof iat === 'number' ? iat : nowSeconds);
  if (lifetime > policy.maxTokenLifetimeSeconds) {
    return `token lifetime exceeds the maximum of ${policy.maxTokenLifetimeSeconds} seconds`;
  }
  if (typeof sub !== 'string' || sub.trim() === '') return 'sub claim required (a non-empty string)';
  return subjectProblem(sub);
}

/**
 * Why a non-empty `sub` could never be a caller's (too long, reserved for our own actors), or
 * undefined. Also what an incident's subject is checked against (src/incidents).
 */
export function subjectProblem(sub: string): string | undefined {
  if (sub.length > MAX_SUBJECT_LENGTH) return `sub longer than ${MAX_SUBJECT_LENGTH} characters`;
  // A lone surrogate cannot be stored (PostgreSQL's UTF-8 gets U+FFFD instead): an incident would
  // lock out a subject other than the one asked for, and audit rows would name another actor.
  if (LONE_SURROGATE.test(sub)) return 'sub is not well-formed Unicode (a lone surrogate)';
  if (RESERVED_SUBJECT.test(sub.trim())) return 'sub names a reserved actor';
  return undefined;
}
