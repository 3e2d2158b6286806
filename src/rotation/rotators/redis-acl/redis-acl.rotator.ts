import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisAclRotatorConfig, SecretEntity } from '../../../secrets/entities/secret.entity.js';
import type { RotationCheck, RotatorContext } from '../../rotator.port.js';
import { type CheckedTarget, RotatorTargetRefused } from '../../rotator-target.js';
import { DryRunChecks } from '../shared/dry-run.js';
import { checkedTarget, describeTarget, parseUserPassword } from '../shared/settings.js';
import { type ConnectionTimeouts, TargetRotator } from '../shared/target-rotator.js';

/** The admin secret's value: `user:password`, or a bare password for the user `default`. */
const parseRedisAdmin = (value: string) => parseUserPassword(value, 'default');

/** ACL SETUSER takes `#<sha256 hex>`: the password itself is never sent in the command. */
const hashed = (password: string) => `#${createHash('sha256').update(password, 'utf8').digest('hex')}`;

export type RedisAclTimeouts = ConnectionTimeouts;

/**
 * Rotates a Redis ACL user's password: `ACL SETUSER user #<new>` adds the new password next to
 * the old one (both work during the switch), a login with the new one must answer `ACL WHOAMI`
 * with the user, then `finish` leaves only the new one (`resetpass #<new>`); `revert` leaves only
 * the old. Passwords go to SETUSER as SHA-256 hashes; AUTH sends them as they are, so Redis
 * without TLS needs `sslmode: disable` set explicitly (there is no TLS negotiation to prefer).
 */
export class RedisAclRotator extends TargetRotator<'redis_acl', ConnectionTimeouts> {
  readonly kind = 'redis_acl';

  async apply(secret: SecretEntity, newValue: string, ctx: RotatorContext): Promise<void> {
    await this.asAdmin(secret, ctx, 'apply', (r, cfg) => r.call('ACL', 'SETUSER', cfg.user, hashed(newValue)));
  }

  async verify(secret: SecretEntity, newValue: string): Promise<void> {
    const cfg = this.config(secret);
    const target = await this.checked(cfg);
    const who = await this.session(target, { user: cfg.user, password: newValue }, (r) => r.call('ACL', 'WHOAMI'));
    if (who !== cfg.user) throw new Error(`login as ${cfg.user} with the new password showed ACL WHOAMI ${String(who)}`);
  }

  override async finish(secret: SecretEntity, newValue: string, ctx: RotatorContext): Promise<void> {
    await this.asAdmin(secret, ctx, 'apply', (r, cfg) => r.call('ACL', 'SETUSER', cfg.user, 'resetpass', hashed(newValue)));
  }

  async revert(secret: SecretEntity, oldValue: string, ctx: RotatorContext): Promise<void> {
    await this.asAdmin(secret, ctx, 'revert', (r, cfg) => r.call('ACL', 'SETUSER', cfg.user, 'resetpass', hashed(oldValue)));
  }

  async check(secret: SecretEntity, currentValue: string, ctx: RotatorContext): Promise<RotationCheck[]> {
    const cfg = this.config(secret);
    // Redis errors name the failed step (WRONGPASS, NOPERM); they never contain the password.
    const dry = new DryRunChecks();
    let target: CheckedTarget | undefined;
    await dry.record('target allowed', async () => {
      target = await this.checked(cfg);
      return describeTarget(cfg.host, target);
    });
    if (!target) return dry.checks;
    await dry.record('target reachable with the admin credential', async () => {
      await this.asAdmin(secret, ctx, 'check', async (r) => {
        // ACL GETUSER needs the same permission as ACL SETUSER (the ACL command), and shows the user exists.
        const user = await r.call('ACL', 'GETUSER', cfg.user);
        if (user === null) throw new Error(`ACL user ${cfg.user} does not exist`);
      });
      return `ACL user ${cfg.user} exists and the admin may change it`;
    });
    await dry.record('current value logs in as the user', () => this.verify(secret, currentValue));
    return dry.checks;
  }

  private async asAdmin<T>(secret: SecretEntity, ctx: RotatorContext, use: 'check' | 'apply' | 'revert', fn: (r: Redis, cfg: RedisAclRotatorConfig) => Promise<T>): Promise<T> {
    const cfg = this.config(secret);
    const target = await this.checked(cfg);
    const admin = parseRedisAdmin(await ctx.readAdminCredential(cfg.admin_secret_id, use));
    return this.session(target, admin, (r) => fn(r, cfg));
  }

  private async checked(cfg: RedisAclRotatorConfig): Promise<CheckedTarget> {
    if ((cfg.sslmode ?? 'verify-full') === 'prefer') throw new RotatorTargetRefused('redis_acl: sslmode prefer is not offered (Redis has no TLS negotiation); use disable, require or verify-full');
    return checkedTarget(this.targets, { ...cfg, sslmode: cfg.sslmode ?? 'verify-full' });
  }

  /** One connection to the first checked address, no retries or reconnects (the rotation retries). */
  private async session<T>(target: CheckedTarget, login: { user: string; password: string }, fn: (r: Redis) => Promise<T>): Promise<T> {
    const { address } = target.addresses[0]!;
    const r = new Redis({
      host: address,
      port: target.port,
      username: login.user,
      password: login.password,
      ...(target.tls ? { tls: target.tls } : {}),
      lazyConnect: true,
      connectTimeout: this.timeouts.connectTimeoutMs,
      commandTimeout: this.timeouts.statementTimeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return await fn(r);
    } finally {
      r.disconnect();
    }
  }
}
