import type { TLSSocket } from 'node:tls';
import pg from 'pg';
import type { PostgresRoleRotatorConfig as RotatorConfig, SecretEntity } from '../../../secrets/entities/secret.entity.js';
import type { RotationCheck, RotatorContext } from '../../rotator.port.js';
import type { CheckedTarget } from '../../rotator-target.js';
import { DryRunChecks, describeDriverError } from '../shared/dry-run.js';
import { checkedTarget, describeTarget, parseUserPassword } from '../shared/settings.js';
import { type ConnectionTimeouts, connectInOrder, TargetRotator } from '../shared/target-rotator.js';
import { scramSha256Verifier } from './scram.js';

/** The admin secret's value: `user:password`, or a bare password for the user `postgres`. */
const parseAdminCredential = (value: string) => parseUserPassword(value, 'postgres');

export type PostgresRoleTimeouts = ConnectionTimeouts;

/** The server asked for the password itself (or its MD5) on a connection without TLS. */
class InsecureAuthRefused extends Error {}

const TLS_REFUSED = 'The server does not support SSL connections';

/**
 * Rotates a PostgreSQL role's password: `ALTER ROLE … PASSWORD` through the admin credential
 * (sent as a SCRAM verifier), then a login as the role with the new password must show
 * `current_user` before the new version is promoted.
 *
 * Every connection goes through RotatorTargetPolicy (allow-list, never link-local or metadata,
 * the checked address only), uses TLS as the secret's `sslmode` says, and refuses to send a
 * password (cleartext or MD5) over a connection without TLS: in the clear only SCRAM-SHA-256.
 */
export class PostgresRoleRotator extends TargetRotator<'postgres_role', ConnectionTimeouts> {
  readonly kind = 'postgres_role';

  async apply(secret: SecretEntity, newValue: string, ctx: RotatorContext): Promise<void> {
    await this.setPassword(secret, newValue, ctx, 'apply');
  }

  async revert(secret: SecretEntity, oldValue: string, ctx: RotatorContext): Promise<void> {
    await this.setPassword(secret, oldValue, ctx, 'revert');
  }

  async verify(secret: SecretEntity, newValue: string): Promise<void> {
    const cfg = this.config(secret);
    const target = await checkedTarget(this.targets, cfg);
    const who = await this.withClient(target, cfg, async () => ({ user: cfg.role, password: newValue }), async (c) => (await c.query('SELECT current_user AS u')).rows[0]?.u);
    if (who !== cfg.role) throw new Error(`login as ${cfg.role} with the new password showed current_user ${String(who)}`);
  }

  async check(secret: SecretEntity, currentValue: string, ctx: RotatorContext): Promise<RotationCheck[]> {
    const cfg = this.config(secret);
    const dry = new DryRunChecks(describeDriverError);
    let target: CheckedTarget | undefined;
    // Refused targets are reported without any connection and without reading the admin credential.
    await dry.record('target allowed', async () => {
      target = await checkedTarget(this.targets, cfg);
      return describeTarget(cfg.host, target);
    });
    if (!target) return dry.checks;
    const t = target;
    await dry.record('target reachable with the admin credential', () =>
      this.withClient(
        t,
        cfg,
        async () => parseAdminCredential(await ctx.readAdminCredential(cfg.admin_secret_id, 'check')),
        async (c) => {
          const role = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [cfg.role]);
          if (role.rowCount !== 1) throw new Error(`role ${cfg.role} does not exist`);
          const me = await c.query(
            `SELECT current_user AS me, r.rolsuper OR (r.rolcreaterole AND NOT t.rolsuper) AS can_alter
             FROM pg_roles r, pg_roles t WHERE r.rolname = current_user AND t.rolname = $1`,
            [cfg.role],
          );
          if (!me.rows[0]?.can_alter) throw new Error(`${String(me.rows[0]?.me)} may not change the password of ${cfg.role}`);
          return `role ${cfg.role} exists and ${String(me.rows[0].me)} may alter it`;
        },
      ),
    );
    await dry.record('current value logs in as the role', () => this.verify(secret, currentValue).then(() => undefined));
    return dry.checks;
  }

  private async setPassword(secret: SecretEntity, value: string, ctx: RotatorContext, use: 'apply' | 'revert'): Promise<void> {
    const cfg = this.config(secret);
    const target = await checkedTarget(this.targets, cfg);
    await this.withClient(
      target,
      cfg,
      async () => parseAdminCredential(await ctx.readAdminCredential(cfg.admin_secret_id, use)),
      async (c) => {
        await c.query(`ALTER ROLE ${c.escapeIdentifier(cfg.role)} WITH PASSWORD ${c.escapeLiteral(scramSha256Verifier(value))}`);
      },
    );
  }

  /**
   * Connects to the checked addresses in order (the next one only when one is unreachable); with
   * `prefer`, a target that answers it has no TLS is connected to again without. The credential
   * is fetched only once the target passed its check.
   */
  private async withClient<T>(
    target: CheckedTarget,
    cfg: RotatorConfig,
    credential: () => Promise<{ user: string; password: string }>,
    fn: (c: pg.Client) => Promise<T>,
  ): Promise<T> {
    const login = await credential();
    return connectInOrder(cfg.host, target, (e) => (e as Error | undefined)?.message === TLS_REFUSED, (address, tls) =>
      this.session(address, target.port, cfg.database, login, tls, fn),
    );
  }

  private async session<T>(
    address: string,
    port: number,
    database: string,
    login: { user: string; password: string },
    tls: CheckedTarget['tls'],
    fn: (c: pg.Client) => Promise<T>,
  ): Promise<T> {
    const client = new pg.Client({
      host: address,
      port,
      database,
      user: login.user,
      // Asked for only when the server wants it; refused for cleartext and MD5 without TLS.
      password: () => {
        if (insecure && !(client.connection.stream as TLSSocket).encrypted) {
          throw new InsecureAuthRefused(`the server asked for ${insecure} password authentication without TLS; refused (only SCRAM-SHA-256 is used in the clear)`);
        }
        return login.password;
      },
      ssl: tls,
      // SCRAM-SHA-256-PLUS binds the login to the TLS channel where the server offers it.
      enableChannelBinding: tls !== false,
      connectionTimeoutMillis: this.timeouts.connectTimeoutMs,
      statement_timeout: this.timeouts.statementTimeoutMs,
      query_timeout: this.timeouts.statementTimeoutMs + 1000,
      application_name: 'strongroom-rotator',
    });
    let insecure: 'cleartext' | 'MD5' | null = null;
    // Registered before the client's own handlers, so they run before the password is asked for.
    client.connection.on('authenticationCleartextPassword', () => (insecure = 'cleartext'));
    client.connection.on('authenticationMD5Password', () => (insecure = 'MD5'));
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
