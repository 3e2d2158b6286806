import jwt from 'jsonwebtoken';

export const TEST_JWT_SECRET = 'test-secret-for-hs256-signing-0123456789abcdef';

export interface TokenOptions {
  sub?: string;
  roles?: string[] | string;
  amr?: string[];
  expiresIn?: number | string;
  notBefore?: number | string;
  issuer?: string;
  audience?: string;
  secret?: string;
  claims?: Record<string, unknown>;
}

export function hsToken(options: TokenOptions = {}): string {
  const payload: Record<string, unknown> = { ...(options.claims ?? {}) };
  if (options.roles !== undefined) payload.roles = options.roles;
  if (options.amr) payload.amr = options.amr;
  return jwt.sign(payload, options.secret ?? TEST_JWT_SECRET, {
    algorithm: 'HS256',
    subject: options.sub ?? 'test-admin',
    expiresIn: (options.expiresIn ?? '1h') as jwt.SignOptions['expiresIn'],
    ...(options.notBefore !== undefined ? { notBefore: options.notBefore as jwt.SignOptions['notBefore'] } : {}),
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
  });
}

export const adminToken = (sub = 'ops-admin') => hsToken({ sub, roles: ['admin'] });
export const auditorToken = (sub = 'compliance-officer') => hsToken({ sub, roles: ['auditor'] });
export const noRoleToken = (sub = 'nobody') => hsToken({ sub, roles: [] });

/** An unsigned token (`alg: none`). */
export function noneToken(payload: Record<string, unknown> = { sub: 'mallory', roles: ['admin'] }): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...payload, iat: now, exp: now + 3600 })}.`;
}
