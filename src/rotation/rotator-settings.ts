import type { SecretType } from '../crypto/index.js';
import type { RotatorConfig } from '../secrets/entities/secret.entity.js';
import { type RotatorTargetPolicy, tlsSettingsProblem } from './rotator-target.js';

const OAUTH_FIELDS = ['kind', 'token_url', 'client_id', 'admin_secret_id', 'scope', 'introspection_url', 'renew_at_fraction', 'ssl_ca'];

/** The settings fields of each rotator kind; any other field is refused. */
const FIELDS: Record<RotatorConfig['kind'], readonly string[]> = {
  postgres_role: ['kind', 'host', 'port', 'database', 'role', 'admin_secret_id', 'sslmode', 'ssl_ca'],
  http: ['kind', 'url', 'admin_secret_id', 'ssl_ca'],
  mysql_user: ['kind', 'host', 'port', 'user', 'user_host', 'admin_secret_id', 'sslmode', 'ssl_ca'],
  redis_acl: ['kind', 'host', 'port', 'user', 'admin_secret_id', 'sslmode', 'ssl_ca'],
  ssh_key: ['kind', 'publish_url', 'admin_secret_id', 'ssl_ca'],
  internal_ca: ['kind', 'admin_secret_id', 'validity_days', 'renew_at_fraction'],
  oauth_client_credentials: OAUTH_FIELDS,
  oauth_refresh_token: OAUTH_FIELDS,
};

/** The secret types each rotator serves. */
export const ROTATOR_SECRET_TYPES: Record<RotatorConfig['kind'], readonly SecretType[] | 'any'> = {
  postgres_role: ['DATABASE_PASSWORD'],
  http: 'any',
  mysql_user: ['DATABASE_PASSWORD'],
  redis_acl: ['DATABASE_PASSWORD', 'API_KEY'],
  ssh_key: ['SERVICE_ACCOUNT_KEY'],
  internal_ca: ['TLS_CERTIFICATE'],
  oauth_client_credentials: ['OAUTH_TOKEN'],
  oauth_refresh_token: ['OAUTH_TOKEN'],
};

/**
 * Kinds that build every new value themselves (types Strongroom cannot generate), so a scheduled
 * or expiry-driven rotation can run for them without a value in the request.
 */
export const VALUE_PRODUCING_KINDS: readonly string[] = ['ssh_key', 'internal_ca', 'oauth_client_credentials', 'oauth_refresh_token'];

/** An http rotator's endpoint as a target, or the reason it cannot be one. */
export function httpEndpoint(url: string): { url: URL; host: string; port: number } | { problem: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { problem: 'url must be an absolute URL' };
  }
  // The set and test calls carry the new value: never without TLS.
  if (u.protocol !== 'https:') return { problem: 'url must be https: the rotation calls carry the new value' };
  if (u.username || u.password) return { problem: 'url must not contain credentials; the calls are signed with admin_secret_id' };
  if (u.hash) return { problem: 'url must not contain a fragment' };
  return { url: u, host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 443 };
}

/** An https endpoint setting: a URL, on the allow-list, with usable TLS settings. */
function httpsUrlProblems(targets: RotatorTargetPolicy, field: string, url: string, sslCa: string | null | undefined): string[] {
  const endpoint = httpEndpoint(url);
  if ('problem' in endpoint) return [field === 'url' ? endpoint.problem : `${field}: ${endpoint.problem.replace(/^url /, '')}`];
  return [targets.refusal(endpoint), tlsSettingsProblem({ sslmode: 'verify-full', ssl_ca: sslCa })].filter((p): p is string => p !== null);
}

/**
 * Problems with a rotator's settings that need no connection: fields of the kind, the secret
 * type it serves, the target against the allow-list, TLS settings. Used at create/PATCH and again
 * before every rotation (the allow-list may have changed since).
 */
export function rotatorSettingsProblems(targets: RotatorTargetPolicy, type: SecretType | null, cfg: RotatorConfig): string[] {
  const problems: string[] = [];
  const allowed = FIELDS[cfg.kind];
  const extra = Object.keys(cfg).filter((k) => !allowed.includes(k) && (cfg as Record<string, unknown>)[k] !== undefined);
  if (extra.length > 0) problems.push(`${extra.join(', ')} ${extra.length === 1 ? 'is' : 'are'} not a setting of the ${cfg.kind} rotator`);
  const types = ROTATOR_SECRET_TYPES[cfg.kind];
  if (type && types !== 'any' && !types.includes(type)) problems.push(`the ${cfg.kind} rotator applies to ${types.join(', ')} secrets only`);
  switch (cfg.kind) {
    case 'postgres_role':
    case 'mysql_user':
    case 'redis_acl':
      if (cfg.kind === 'redis_acl' && cfg.sslmode === 'prefer') problems.push('redis_acl: sslmode prefer is not offered (Redis has no TLS negotiation); use disable, require or verify-full');
      problems.push(...[targets.refusal(cfg), tlsSettingsProblem(cfg)].filter((p): p is string => p !== null));
      break;
    case 'ssh_key': {
      if ((cfg.publish_url === undefined) !== (cfg.admin_secret_id === undefined)) {
        problems.push('ssh_key: publish_url and admin_secret_id (the WEBHOOK_SECRET the publish calls are signed with) go together');
        break;
      }
      if (cfg.publish_url === undefined) {
        if (cfg.ssl_ca != null) problems.push('ssh_key: ssl_ca needs publish_url');
        break;
      }
      problems.push(...httpsUrlProblems(targets, 'publish_url', cfg.publish_url, cfg.ssl_ca));
      break;
    }
    case 'http':
      problems.push(...httpsUrlProblems(targets, 'url', cfg.url, cfg.ssl_ca));
      break;
    case 'oauth_client_credentials':
    case 'oauth_refresh_token':
      problems.push(...httpsUrlProblems(targets, 'token_url', cfg.token_url, cfg.ssl_ca));
      if (cfg.introspection_url !== undefined) problems.push(...httpsUrlProblems(targets, 'introspection_url', cfg.introspection_url, cfg.ssl_ca));
      break;
  }
  return problems;
}
