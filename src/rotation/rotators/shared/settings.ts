import type { RotatorConfig, SecretEntity } from '../../../secrets/entities/secret.entity.js';
import { httpEndpoint } from '../../rotator-settings.js';
import { type CheckedTarget, type RotatorTarget, type RotatorTargetPolicy, RotatorTargetRefused, tlsSettingsProblem } from '../../rotator-target.js';

/** The secret's rotator settings, which must be of `kind` (a rotator only ever gets its own secrets). */
export function rotatorSettings<K extends RotatorConfig['kind']>(secret: SecretEntity, kind: K): Extract<RotatorConfig, { kind: K }> {
  if (!secret.rotator || secret.rotator.kind !== kind) throw new Error(`the secret has no ${kind} rotator settings`);
  return secret.rotator as Extract<RotatorConfig, { kind: K }>;
}

/** A login's `user:password` admin credential, or a bare password for `defaultUser`. */
export function parseUserPassword(value: string, defaultUser: string): { user: string; password: string } {
  const at = value.indexOf(':');
  return at > 0 ? { user: value.slice(0, at), password: value.slice(at + 1) } : { user: defaultUser, password: value };
}

/** A database-like target's TLS settings, then the policy's check at use (allow-list, addresses). */
export async function checkedTarget(targets: RotatorTargetPolicy, cfg: RotatorTarget): Promise<CheckedTarget> {
  const problem = tlsSettingsProblem(cfg);
  if (problem) throw new RotatorTargetRefused(problem);
  return targets.check(cfg);
}

/** The dry run's detail of a checked target. */
export function describeTarget(host: string, target: CheckedTarget): string {
  return `${host} (${target.addresses.map((a) => a.address).join(', ')}), sslmode ${target.sslmode}`;
}

/** An https endpoint (http rotator, OAuth endpoints) checked at use: always verify-full TLS. */
export async function checkedHttpsEndpoint(targets: RotatorTargetPolicy, url: string, sslCa: string | null | undefined): Promise<{ url: URL; target: CheckedTarget }> {
  const endpoint = httpEndpoint(url);
  if ('problem' in endpoint) throw new RotatorTargetRefused(endpoint.problem);
  const target = await checkedTarget(targets, { host: endpoint.host, port: endpoint.port, sslmode: 'verify-full', ssl_ca: sslCa ?? null });
  return { url: endpoint.url, target };
}
