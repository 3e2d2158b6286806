import pg from 'pg';
import type { RotatorConfig, SecretEntity } from '../../../secrets/entities/secret.entity.js';
import { Rotator, type RotationCheck, type RotatorContext } from '../../rotator.port.js';
import { scramSha256Verifier } from './scram.js';

/** The admin secret's value: `user:password`, or a bare password for the user `postgres`. */
export function parseAdminCredential(value: string): { user: string; password: string } {
  const at = value.indexOf(':');
  return at > 0 ? { user: value.slice(0, at), password: value.slice(at + 1) } : { user: 'postgres', password: value };
}

/**
 * Rotates a PostgreSQL role's password: `ALTER ROLE … PASSWORD` through the admin credential
 * (sent as a SCRAM verifier), then a login as the role with the new password must show
 * `current_user` before the new version is promoted.
 */
export class PostgresRoleRotator extends Rotator {
  readonly kind = 'postgres_role';
  readonly external = true;

  constructor(private readonly timeoutMs = 5000) {
    super();
  }

  async apply(secret: SecretEntity, newValue: string, ctx: RotatorContext): Promise<void> {
    await this.setPassword(secret, newValue, ctx);
  }

  async revert(secret: SecretEntity, oldValue: string, ctx: RotatorContext): Promise<void> {
    await this.setPassword(secret, oldValue, ctx);
  }

  async verify(secret: SecretEntity, newValue: string): Promise<void> {
    const cfg = this.config(secret);
    const who = await this.withClient(cfg, cfg.role, newValue, async (c) => (await c.query('SELECT current_user AS u')).rows[0]?.u);
    if (who !== cfg.role) throw new Error(`login as ${cfg.role} with the new password showed current_user ${String(who)}`);
  }

  async check(secret: SecretEntity, currentValue: string, ctx: RotatorContext): Promise<RotationCheck[]> {
    const cfg = this.config(secret);
    const checks: RotationCheck[] = [];
    const record = async (check: string, fn: () => Promise<string | void>) => {
      try {
        const detail = await fn();
        checks.push({ check, ok: true, ...(detail ? { detail } : {}) });
      } catch (e) {
        checks.push({ check, ok: false, detail: this.describe(e) });
      }
    };
    let admin: { user: string; password: string } | undefined;
    await record('admin credential readable', async () => {
      admin = parseAdminCredential(await ctx.readSecretValue(cfg.admin_secret_id));
      return `as ${admin.user}`;
    });
    if (admin) {
      const a = admin;
      await record('target reachable with the admin credential', () =>
        this.withClient(cfg, a.user, a.password, async (c) => {
          const role = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [cfg.role]);
          if (role.rowCount !== 1) throw new Error(`role ${cfg.role} does not exist`);
          const me = await c.query(
            `SELECT r.rolsuper OR (r.rolcreaterole AND NOT t.rolsuper) AS can_alter
             FROM pg_roles r, pg_roles t WHERE r.rolname = current_user AND t.rolname = $1`,
            [cfg.role],
          );
          if (!me.rows[0]?.can_alter) throw new Error(`${a.user} may not change the password of ${cfg.role}`);
          return `role ${cfg.role} exists and ${a.user} may alter it`;
        }),
      );
    }
    await record('current value logs in as the role', () => this.verify(secret, currentValue).then(() => undefined));
    return checks;
  }

  private async setPassword(secret: SecretEntity, value: string, ctx: RotatorContext): Promise<void> {
    const cfg = this.config(secret);
    const admin = parseAdminCredential(await ctx.readSecretValue(cfg.admin_secret_id));
    await this.withClient(cfg, admin.user, admin.password, async (c) => {
      await c.query(`ALTER ROLE ${c.escapeIdentifier(cfg.role)} WITH PASSWORD ${c.escapeLiteral(scramSha256Verifier(value))}`);
    });
  }

  private config(secret: SecretEntity): RotatorConfig {
    if (!secret.rotator || secret.rotator.kind !== 'postgres_role') throw new Error('the secret has no postgres_role rotator settings');
    return secret.rotator;
  }

  private async withClient<T>(cfg: RotatorConfig, user: string, password: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({
      host: cfg.host,
      port: cfg.port,
      database: cfg.database,
      user,
      password,
      connectionTimeoutMillis: this.timeoutMs,
      statement_timeout: this.timeoutMs,
      application_name: 'strongroom-rotator',
    });
    try {
      await client.connect();
      return await fn(client);
    } catch (e) {
      throw new Error(this.describe(e));
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
