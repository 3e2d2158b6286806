import type { TLSSocket } from 'node:tls';
import pg from 'pg';
import type { PostgresRoleRotatorConfig as RotatorConfig, SecretEntity } from '../../../secrets/entities/secret.entity.js';
import { Rotator, type RotationCheck, type RotatorContext } from '../../rotator.port.js';
import { type CheckedTarget, RotatorTargetPolicy, RotatorTargetRefused, tlsSettingsProblem } from '../../rotator-target.js';
import { scramSha256Verifier } from './scram.js';

/** The admin secret's value: `user:password`, or a bare password for the user `postgres`. */
export function parseAdminCredential(value: string): { user: string; password: string } {
  const at = value.indexOf(':');
  return at > 0 ? { user: value.slice(0, at), password: value.slice(at + 1) } : { user: 'postgres', password: value };
}

export interface PostgresRoleTimeouts {
  /** DNS, TCP, TLS and login together. */
  connectTimeoutMs: number;
  /** Each statement (server-side statement_timeout and a client-side bound). */
  statementTimeoutMs: number;
}

/** The server asked for the password itself (or its MD5) on a connection without TLS. */
class InsecureAuthRefused extends Error {}

const TLS_REFUSED = 'The server does not support SSL connections';
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/**
 * Rotates a PostgreSQL role's password: `ALTER ROLE … PASSWORD` through the admin credential
 * (sent as a SCRAM verifier), then a login as the role with the new password must show
 * `current_user` before the new version is promoted.
 *
 * Every connection goes through RotatorTargetPolicy (allow-list, never link-local or metadata,
 * the checked address only), uses TLS as the secret's `sslmode` says, and refuses to send a
 * password (cleartext or MD5) over a connection without TLS: in the clear only SCRAM-SHA-256.
 */
export class PostgresRoleRotator extends Rotator {
  readonly kind = 'postgres_role';
  readonly external = true;

  constructor(
    private readonly targets: RotatorTargetPolicy,
    private readonly timeouts: PostgresRoleTimeouts,
  ) {
    super();
  }

  override adminSecretId(secret: SecretEntity): string | null {
    return this.config(secret).admin_secret_id;
  }

  async apply(secret: SecretEntity, newValue: string, ctx: RotatorContext): Promise<void> {
    await this.setPassword(secret, newValue, ctx, 'apply');
  }

  async revert(secret: SecretEntity, oldValue: string, ctx: RotatorContext): Promise<void> {
    await this.setPassword(secret, oldValue, ctx, 'revert');
  }

  async verify(secret: SecretEntity, newValue: string): Promise<void> {
    const cfg = this.config(secret);
    const target = await this.targets.check(cfg);
    const who = await this.withClient(target, cfg, async () => ({ user: cfg.role, password: newValue }), async (c) => (await c.query('SELECT current_user AS u')).rows[0]?.u);
    if (who !== cfg.role) throw new Error(`login as ${cfg.role} with the new password showed current_user ${String(who)}`);
  }

  async check(secret: SecretEntity, currentValue: string, ctx: RotatorContext): Promise<RotationCheck[]> {
    const cfg = this.config(secret);
    const checks: RotationCheck[] = [];
    const record = async (check: string, fn: () => Promise<string | void>) => {
      try {
        const detail = await fn();
        checks.push({ check, ok: true, ...(detail ? { detail } : {}) });
        return true;
      } catch (e) {
        checks.push({ check, ok: false, detail: this.describe(e) });
        return false;
      }
    };
    let target: CheckedTarget | undefined;
    // Refused targets are reported without any connection and without reading the admin credential.
    await record('target allowed', async () => {
      const problem = tlsSettingsProblem(cfg);
      if (problem) throw new RotatorTargetRefused(problem);
      target = await this.targets.check(cfg);
      return `${cfg.host} (${target.addresses.map((a) => a.address).join(', ')}), sslmode ${target.sslmode}`;
    });
    if (!target) return checks;
    const t = target;
    await record('target reachable with the admin credential', () =>
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
    await record('current value logs in as the role', () => this.verify(secret, currentValue).then(() => undefined));
    return checks;
  }

  private async setPassword(secret: SecretEntity, value: string, ctx: RotatorContext, use: 'apply' | 'revert'): Promise<void> {
    const cfg = this.config(secret);
    const target = await this.targets.check(cfg);
    await this.withClient(
      target,
      cfg,
      async () => parseAdminCredential(await ctx.readAdminCredential(cfg.admin_secret_id, use)),
      async (c) => {
        await c.query(`ALTER ROLE ${c.escapeIdentifier(cfg.role)} WITH PASSWORD ${c.escapeLiteral(scramSha256Verifier(value))}`);
      },
    );
  }

  private config(secret: SecretEntity): RotatorConfig {
    if (!secret.rotator || secret.rotator.kind !== 'postgres_role') throw new Error('the secret has no postgres_role rotator settings');
    return secret.rotator;
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
    let lastError: unknown;
    for (const { address } of target.addresses) {
      for (const tls of target.plainIfTlsRefused ? [target.tls, false as const] : [target.tls]) {
        try {
          return await this.session(address, target.port, cfg.database, login, tls, fn);
        } catch (e) {
          lastError = e;
          if (tls && target.plainIfTlsRefused && (e as Error).message === TLS_REFUSED) continue;
          break;
        }
      }
      if (!UNREACHABLE.has((lastError as { code?: string }).code ?? '')) break;
    }
    if (lastError instanceof RotatorTargetRefused) throw lastError;
    if ((lastError as Error).message === TLS_REFUSED) throw new Error(`${cfg.host} does not offer TLS, and sslmode ${target.sslmode} requires it`);
    throw new Error(this.describe(lastError));
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

  /** pg's messages name the failed step (auth failed, refused); they never contain the password. */
  private describe(e: unknown): string {
    const err = e as { code?: string; message?: string };
    return `${err.message ?? 'failed'}${err.code && !err.message?.includes(err.code) ? ` (${err.code})` : ''}`.slice(0, 300);
  }
}
