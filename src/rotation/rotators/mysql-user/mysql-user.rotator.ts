import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { MysqlUserRotatorConfig, SecretEntity } from '../../../secrets/entities/secret.entity.js';
import type { RotationCheck, RotatorContext } from '../../rotator.port.js';
import { type CheckedTarget, RotatorTargetRefused } from '../../rotator-target.js';
import { DryRunChecks, describeDriverError } from '../shared/dry-run.js';
import { checkedTarget, describeTarget, parseUserPassword } from '../shared/settings.js';
import { type ConnectionTimeouts, connectInOrder, TargetRotator } from '../shared/target-rotator.js';

/** The admin secret's value: `user:password`, or a bare password for the user `root`. */
const parseMysqlAdmin = (value: string) => parseUserPassword(value, 'root');

/** mysql_native_password's stored form: `*` + hex(SHA1(SHA1(password))), what the server keeps. */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(once).digest('hex').toUpperCase()}`;
}

export type MysqlUserTimeouts = ConnectionTimeouts;

const TLS_REFUSED = new Set(['HANDSHAKE_NO_SSL_SUPPORT']);

/**
 * Rotates a MySQL / MariaDB account's password: `ALTER USER … IDENTIFIED BY` through the admin
 * credential, then a login as the account with the new password must show it as CURRENT_USER()
 * before the new version is promoted.
 *
 * On MariaDB the password is sent as its mysql_native_password hash (`IDENTIFIED BY PASSWORD`),
 * so it never appears in a statement log or on the wire; MySQL gets `IDENTIFIED BY '<password>'`
 * only over TLS. Logins use challenge-response (the password itself is not sent). Every
 * connection goes through RotatorTargetPolicy and to the checked address only.
 */
export class MysqlUserRotator extends TargetRotator<'mysql_user', ConnectionTimeouts> {
  readonly kind = 'mysql_user';

  async apply(secret: SecretEntity, newValue: string, ctx: RotatorContext): Promise<void> {
    await this.setPassword(secret, newValue, ctx, 'apply');
  }

  async revert(secret: SecretEntity, oldValue: string, ctx: RotatorContext): Promise<void> {
    await this.setPassword(secret, oldValue, ctx, 'revert');
  }

  async verify(secret: SecretEntity, newValue: string): Promise<void> {
    const cfg = this.config(secret);
    const target = await this.checked(cfg);
    const who = await this.withConnection(target, cfg, async () => ({ user: cfg.user, password: newValue }), async (c) => {
      const [rows] = await c.query('SELECT CURRENT_USER() AS u');
      return String((rows as { u: string }[])[0]?.u ?? '');
    });
    if (who.slice(0, who.lastIndexOf('@')) !== cfg.user) throw new Error(`login as ${cfg.user} with the new password showed CURRENT_USER() ${who}`);
  }

  async check(secret: SecretEntity, currentValue: string, ctx: RotatorContext): Promise<RotationCheck[]> {
    const cfg = this.config(secret);
    const dry = new DryRunChecks(describeDriverError);
    let target: CheckedTarget | undefined;
    await dry.record('target allowed', async () => {
      target = await checkedTarget(this.targets, cfg);
      return describeTarget(cfg.host, target);
    });
    if (!target) return dry.checks;
    const t = target;
    await dry.record('target reachable with the admin credential', () =>
      this.withConnection(
        t,
        cfg,
        async () => parseMysqlAdmin(await ctx.readAdminCredential(cfg.admin_secret_id, 'check')),
        async (c) => {
          const [grants] = await c.query(
            `SELECT 1 AS one FROM information_schema.USER_PRIVILEGES
             WHERE PRIVILEGE_TYPE = 'CREATE USER'
               AND GRANTEE = CONCAT("'", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), "'@'", SUBSTRING_INDEX(CURRENT_USER(), '@', -1), "'")`,
          );
          if ((grants as unknown[]).length === 0) throw new Error('the admin account lacks the CREATE USER privilege that ALTER USER needs');
          // Listing accounts needs SELECT on mysql.user, which ALTER USER does not: without it the
          // login check below shows whether the account exists.
          const users = await c.query('SELECT 1 AS one FROM mysql.user WHERE User = ? AND Host = ?', [cfg.user, this.userHost(cfg)]).then(
            ([rows]) => (rows as unknown[]).length,
            (e: { code?: string }) => {
              if (e.code === 'ER_TABLEACCESS_DENIED_ERROR') return null;
              throw e;
            },
          );
          if (users === 0) throw new Error(`account ${cfg.user}@${this.userHost(cfg)} does not exist`);
          if (users === null) return `the admin may alter accounts (it cannot list them)`;
          return `account ${cfg.user}@${this.userHost(cfg)} exists and the admin may alter it`;
        },
      ),
    );
    await dry.record('current value logs in as the account', () => this.verify(secret, currentValue).then(() => undefined));
    return dry.checks;
  }

  private async setPassword(secret: SecretEntity, value: string, ctx: RotatorContext, use: 'apply' | 'revert'): Promise<void> {
    const cfg = this.config(secret);
    const target = await this.checked(cfg);
    await this.withConnection(
      target,
      cfg,
      async () => parseMysqlAdmin(await ctx.readAdminCredential(cfg.admin_secret_id, use)),
      async (c, encrypted) => {
        const [rows] = await c.query('SELECT VERSION() AS v');
        const mariadb = /mariadb/i.test(String((rows as { v: string }[])[0]?.v));
        if (mariadb) {
          await c.query('ALTER USER ?@? IDENTIFIED BY PASSWORD ?', [cfg.user, this.userHost(cfg), nativePasswordHash(value)]);
        } else if (encrypted) {
          await c.query('ALTER USER ?@? IDENTIFIED BY ?', [cfg.user, this.userHost(cfg), value]);
        } else {
          throw new RotatorTargetRefused(`${cfg.host} is MySQL without TLS: the new password is sent only over TLS (set sslmode require or verify-full)`);
        }
      },
    );
  }

  private userHost(cfg: MysqlUserRotatorConfig): string {
    return cfg.user_host ?? '%';
  }

  private checked(cfg: MysqlUserRotatorConfig): Promise<CheckedTarget> {
    return checkedTarget(this.targets, cfg);
  }

  /** The checked addresses in order; with `prefer`, a server without TLS is connected to again without. */
  private async withConnection<T>(
    target: CheckedTarget,
    cfg: MysqlUserRotatorConfig,
    credential: () => Promise<{ user: string; password: string }>,
    fn: (c: mysql.Connection, encrypted: boolean) => Promise<T>,
  ): Promise<T> {
    const login = await credential();
    return connectInOrder(cfg.host, target, (e) => TLS_REFUSED.has((e as { code?: string }).code ?? ''), async (address, tls) => {
      let conn: mysql.Connection | undefined;
      try {
        conn = await mysql.createConnection({
          host: address,
          port: target.port,
          user: login.user,
          password: login.password,
          ...(tls ? { ssl: tls as mysql.SslOptions } : {}),
          connectTimeout: this.timeouts.connectTimeoutMs,
          multipleStatements: false,
        });
        conn.on('error', () => undefined);
        return await Promise.race([
          fn(conn, tls !== false),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`statement took longer than ${this.timeouts.statementTimeoutMs} ms`)), this.timeouts.statementTimeoutMs).unref()),
        ]);
      } finally {
        await conn?.end().catch(() => conn?.destroy());
      }
    });
  }
}
