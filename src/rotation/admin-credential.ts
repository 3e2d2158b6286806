import type { SecretType } from '../crypto/index.js';

/**
 * The secret types a rotator's admin credential may have. A rotator sends this value to its
 * target to log in, so it must be a credential for that kind of target: an API key, a signing
 * key or a token is never sent anywhere as a password.
 */
export const ADMIN_CREDENTIAL_TYPES: Readonly<Record<string, readonly SecretType[]>> = {
  postgres_role: ['DATABASE_PASSWORD'],
  mysql_user: ['DATABASE_PASSWORD'],
  redis_acl: ['DATABASE_PASSWORD', 'API_KEY'],
  // The HMAC key the rotation calls are signed with: never sent, only used to sign.
  http: ['WEBHOOK_SECRET'],
  // ssh_key's optional publish calls are signed like the http rotator's.
  ssh_key: ['WEBHOOK_SECRET'],
  // The issuing CA: its certificate and private key (PEM), used only to sign.
  internal_ca: ['TLS_CERTIFICATE'],
  // The OAuth client secret, sent only to the token (and introspection) endpoint over TLS.
  oauth_client_credentials: ['API_KEY'],
  oauth_refresh_token: ['API_KEY'],
};

/** Why `admin` cannot be the admin credential of a `kind` rotator, or null. */
export function adminCredentialProblem(kind: string, adminId: string, admin: { secretType: string } | null): string | null {
  if (!admin) return `admin_secret_id ${adminId} names no live secret`;
  const allowed = ADMIN_CREDENTIAL_TYPES[kind] ?? [];
  if ((allowed as readonly string[]).includes(admin.secretType)) return null;
  return `admin_secret_id ${adminId} is a ${admin.secretType} secret; the ${kind} rotator's admin credential must be ${allowed.join(' or ') || 'none'}`;
}
