/**
 * Classification of what node-vault 0.12 throws (see shared/vault-kv2-contract.md §1):
 * - `ApiResponseError` for any HTTP status other than 200/204: `err.response.statusCode`,
 *   `err.response.body`, `err.message` = `body.errors[0]` or `Status <code>`;
 * - axios errors for network failures: `err.code` (`ECONNREFUSED`, `ECONNRESET`, `ECONNABORTED`…),
 *   no `err.response`;
 * - tv4 `ValidationError`s for client-side schema checks.
 *
 * The messages built here are safe to log and to return: they never carry a token, a secret id of
 * AppRole, or a payload (every Vault-provided text passes through `redact`). The raw error must
 * not be attached to anything that leaves the process: axios errors carry the request headers
 * (X-Vault-Token) and body (the payload) in `err.config`.
 */

export type VaultErrorKind =
  /** 403: no token, unknown/expired token, or the policy denies the path. */
  | 'auth'
  /** 503 `Vault is sealed`. */
  | 'sealed'
  /** Network failure, timeout, 429, 5xx, or a KV mount still upgrading. */
  | 'unavailable'
  /** 400 check-and-set mismatch. */
  | 'conflict'
  /** 404 without errors: no such key or version (or it is deleted/destroyed). */
  | 'not_found'
  /** Any other refusal (400s, 404 `no handler for route`, client-side validation…). */
  | 'rejected';

export interface VaultErrorInfo {
  kind: VaultErrorKind;
  /** HTTP status when Vault answered. */
  status?: number;
  /** Network error code when it did not. */
  code?: string;
  /** Safe, human-readable description. */
  message: string;
  /** Vault's own `errors[0]` (redacted), when there was one. */
  vaultMessage?: string;
}

export interface ClassifyContext {
  /** Vault's address as shown to people (no credentials). */
  url: string;
  /** Strings that must never appear in a message (tokens, AppRole secret ids, payloads). */
  secrets?: readonly (string | undefined)[];
}

export const CAS_MISMATCH_MESSAGE = 'check-and-set parameter did not match the current version';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'EPROTO',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_FR_TOO_MANY_REDIRECTS',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

/** Vault token shapes (service/batch/recovery tokens and the legacy `s.` form). */
const TOKEN_PATTERN = /\b(?:hv[sbr]\.[A-Za-z0-9_-]{20,}|s\.[A-Za-z0-9]{24})\b/g;

const MAX_MESSAGE = 300;

/** Replaces every occurrence of the given secrets and anything shaped like a Vault token. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 3) out = out.split(secret).join('[redacted]');
  }
  out = out.replace(TOKEN_PATTERN, '[redacted-token]');
  return out.length > MAX_MESSAGE ? `${out.slice(0, MAX_MESSAGE)}…` : out;
}

/** Vault's address for messages: scheme, host, port and path, never userinfo or a query. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`.replace(/\/+$/, '');
  } catch {
    return '<invalid Vault URL>';
  }
}

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  response?: { statusCode?: unknown; body?: unknown };
}

export function classifyVaultError(err: unknown, ctx: ClassifyContext): VaultErrorInfo {
  // Already classified (and redacted) by the connection: keep its kind and message.
  if (err instanceof VaultConnectionError) return { kind: err.kind, status: err.status, message: redact(err.message, ctx.secrets) };
  const e: ErrorLike = typeof err === 'object' && err !== null ? (err as ErrorLike) : {};
  const raw = typeof e.message === 'string' ? e.message : typeof err === 'string' ? err : '';
  const safe = redact(raw, ctx.secrets);
  const status = typeof e.response?.statusCode === 'number' ? e.response.statusCode : undefined;

  if (status !== undefined) {
    const body = e.response?.body as { errors?: unknown } | undefined;
    const errors = Array.isArray(body?.errors) ? body.errors.filter((x): x is string => typeof x === 'string') : [];
    const vaultMessage = errors.length > 0 ? redact(errors[0], ctx.secrets) : undefined;
    const info = (kind: VaultErrorKind, message: string): VaultErrorInfo => ({ kind, status, message, vaultMessage });

    if (status === 403) {
      if (raw.includes('invalid token')) return info('auth', 'Vault rejected the token (permission denied)');
      if (raw.trim() === 'permission denied') {
        return info('auth', 'Vault rejected the request: no token was sent (permission denied)');
      }
      return info('auth', "Vault's policy for this token does not allow the request (permission denied)");
    }
    if (status === 503 && /sealed/i.test(raw)) return info('sealed', 'Vault is sealed');
    if (status === 400 && raw === CAS_MISMATCH_MESSAGE) return info('conflict', CAS_MISMATCH_MESSAGE);
    if (status === 400 && raw.startsWith('Upgrading from non-versioned to versioned data')) {
      return info('unavailable', 'Vault is upgrading the KV mount; retry shortly');
    }
    if (status === 404) {
      if (errors.length > 0) return info('rejected', `Vault has no handler for this path (${safe}); is the KV mount configured?`);
      return info('not_found', 'Vault holds nothing at this path');
    }
    if (status === 429 || status >= 500) {
      return info('unavailable', `Vault is unavailable (HTTP ${status}${vaultMessage ? `: ${vaultMessage}` : ''})`);
    }
    return info('rejected', `Vault refused the request (HTTP ${status}${vaultMessage ? `: ${vaultMessage}` : ''})`);
  }

  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code !== undefined && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR'))) {
    const url = displayUrl(ctx.url);
    const why = TIMEOUT_CODES.has(code) ? `no answer in time, ${code}` : code;
    return { kind: 'unavailable', code, message: `Vault is unreachable at ${url} (${why})` };
  }
  return { kind: 'rejected', code, message: `Vault client error${safe ? `: ${safe}` : ''}` };
}

/** What `VaultConnection` throws when it cannot log in or check its token. */
export class VaultConnectionError extends Error {
  readonly kind: VaultErrorKind;
  readonly status?: number;

  constructor(context: string, info: VaultErrorInfo) {
    super(`${context}: ${info.message}`);
    this.name = 'VaultConnectionError';
    this.kind = info.kind;
    this.status = info.status;
  }
}
