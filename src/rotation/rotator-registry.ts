import { Inject, Injectable } from '@nestjs/common';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import { auditOrigin } from '../audit-log/audit-scope.js';
import type { Actor } from '../auth/auth.types.js';
import { AppConfig } from '../config/index.js';
import type { SecretType } from '../crypto/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { SecretEntity } from '../secrets/entities/secret.entity.js';
import { secretNotFound } from '../secrets/secrets.errors.js';
import { SecretsRepository } from '../secrets/secrets.repository.js';
import { SecretVersions } from '../secrets/secret-versions.service.js';
import { adminCredentialProblem } from './admin-credential.js';
import type { Rotator, RotatorContext } from './rotator.port.js';
import { RotatorTargetPolicy, RotatorTargetRefused } from './rotator-target.js';
import { rotatorSettingsProblems } from './rotator-settings.js';
import { HttpRotator } from './rotators/http/http.rotator.js';
import { MysqlUserRotator } from './rotators/mysql-user/mysql-user.rotator.js';
import { RedisAclRotator } from './rotators/redis-acl/redis-acl.rotator.js';
import { SshKeyRotator } from './rotators/ssh-key/ssh-key.rotator.js';
import { OAuthClientCredentialsRotator, OAuthRefreshTokenRotator } from './rotators/oauth/oauth.rotator.js';
import { InternalCaRotator } from './rotators/internal-ca/internal-ca.rotator.js';
import { GeneratedRotator } from './rotators/generated/generated.rotator.js';
import { PostgresRoleRotator } from './rotators/postgres-role/postgres-role.rotator.js';

/** What the registry reads of the secrets module. */
type SecretReads = Pick<SecretsRepository, 'findLive'>;
type VersionReads = Pick<SecretVersions, 'locate' | 'serve'>;

/** The rotators by kind, the target policy they share, and their view of Strongroom. */
@Injectable()
export class RotatorRegistry {
  private readonly rotators = new Map<string, Rotator>();
  private readonly targets: RotatorTargetPolicy;

  constructor(
    private readonly uow: UnitOfWork,
    @Inject(SecretsRepository) private readonly secrets: SecretReads,
    @Inject(SecretVersions) private readonly versions: VersionReads,
    private readonly audit: AuditLog,
    config: AppConfig,
  ) {
    const { allowedHosts, connectTimeoutMs, statementTimeoutMs } = config.rotators;
    const targets = (this.targets = new RotatorTargetPolicy(allowedHosts, connectTimeoutMs));
    for (const r of [
      new GeneratedRotator(),
      new PostgresRoleRotator(targets, { connectTimeoutMs, statementTimeoutMs }),
      new HttpRotator(targets, { connectTimeoutMs, requestTimeoutMs: statementTimeoutMs }),
      new MysqlUserRotator(targets, { connectTimeoutMs, statementTimeoutMs }),
      new RedisAclRotator(targets, { connectTimeoutMs, statementTimeoutMs }),
      new SshKeyRotator(new HttpRotator(targets, { connectTimeoutMs, requestTimeoutMs: statementTimeoutMs })),
      new InternalCaRotator(),
      new OAuthClientCredentialsRotator(targets, { connectTimeoutMs, requestTimeoutMs: statementTimeoutMs }),
      new OAuthRefreshTokenRotator(targets, { connectTimeoutMs, requestTimeoutMs: statementTimeoutMs }),
    ])
      this.rotators.set(r.kind, r);
  }

  of(secret: SecretEntity): Rotator {
    return this.rotators.get(secret.rotator?.kind ?? 'generated')!;
  }

  /** The rotator a rotation record names (it may have started under settings changed since). */
  byKind(kind: string): Rotator | undefined {
    return this.rotators.get(kind);
  }

  /**
   * Refuses, before any record or connection, a rotator whose stored settings are no longer
   * allowed (the allow-list changed, settings saved before these checks existed). A missing
   * admin secret is not refused here: that rotation fails visibly, with an alert.
   */
  async checkSettings(secret: SecretEntity, rotator: Rotator): Promise<void> {
    const problems = secret.rotator ? rotatorSettingsProblems(this.targets, secret.secretType as SecretType, secret.rotator) : [];
    const adminId = rotator.adminSecretId(secret);
    if (adminId) {
      const admin = await this.secrets.findLive(this.uow.manager(), adminId);
      if (admin) {
        const problem = adminCredentialProblem(rotator.kind, adminId, admin);
        if (problem) problems.push(problem);
      }
    }
    if (problems.length > 0) throw new RotatorTargetRefused(`rotator refused: ${problems.join('; ')}; change the rotator settings (PATCH) or ROTATOR_ALLOWED_HOSTS`);
  }

  /** The rotator's view of Strongroom: the admin credential, type-checked and audited per read. */
  contextFor(secret: SecretEntity, actor: Actor, rotationId: string | null): RotatorContext {
    const kind = secret.rotator?.kind ?? 'generated';
    return {
      readAdminCredential: async (adminId, use) => {
        const tx = this.uow.manager();
        const found = await this.versions.locate(tx, adminId);
        if (!found) throw secretNotFound(adminId);
        const problem = adminCredentialProblem(kind, adminId, { secretType: found.secret_type });
        if (problem) throw new RotatorTargetRefused(problem);
        const value = await this.versions.serve(tx, found);
        // Durable before the value leaves this function (joins the transaction when there is one).
        await this.audit.record({
          ...(auditOrigin() ?? { actor: actor.sub, roles: actor.roles }),
          action: AuditAction.SecretValueRead,
          outcome: 'success',
          secretId: found.id,
          secretName: found.name,
          details: {
            purpose: 'rotator_admin_credential',
            use,
            rotator: kind,
            rotated_secret_id: secret.id,
            rotation_id: rotationId,
            version: found.current_version,
          },
        });
        return value;
      },
    };
  }
}
