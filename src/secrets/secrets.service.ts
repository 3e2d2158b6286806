import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { type EntityManager, IsNull } from 'typeorm';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import { annotateAudit, auditOrigin, runInAuditScope } from '../audit-log/audit-scope.js';
import type { Actor } from '../auth/auth.types.js';
import { addDays, Clock } from '../clock/clock.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { AppConfig } from '../config/index.js';
import {
  canGenerate,
  certificateNotAfter,
  generateValue,
  SECRET_TYPE_CATALOGUE,
  SECRET_TYPES,
  type SecretType,
  validateUserValue,
} from '../crypto/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { Metrics } from '../metrics/metrics.service.js';
import type { BulkCreateResultDto, BulkItemResultDto } from './dto/bulk-create.dto.js';
import { CreateSecretDto } from './dto/create-secret.dto.js';
import type { ListSecretsQuery } from './dto/list-secrets.query.js';
import type { PutValueDto } from './dto/put-value.dto.js';
import {
  SecretConsumersResponseDto,
  SecretListResponseDto,
  SecretResponseDto,
  type SecretTypeResponseDto,
  type SecretValueResponseDto,
  SecretVersionResponseDto,
} from './dto/secret-response.dto.js';
import type { UpdateSecretDto } from './dto/update-secret.dto.js';
import { type RotatorConfig, SecretEntity } from './entities/secret.entity.js';
import { SecretVersionEntity } from './entities/secret-version.entity.js';
import { decodeCursor, encodeCursor } from '../common/list-cursor.js';
import { duplicateName, invalidValue, secretNotFound } from './secrets.errors.js';
import { newSecretId } from './secret-id.js';
import { lockSecretRow } from './secrets.repository.js';
import { RotatorRulesSlot } from './rotator-rules.js';
import { SecretVersions } from './secret-versions.service.js';
import { SecretConsumers } from './secret-consumers.service.js';
import { SecretStores } from './store/secret-stores.js';
import type { PolicyScope } from '../policies/policy-gate.js';
import { whereSelectedBy } from '../policies/policy-evaluation.js';

const UNIQUE_VIOLATION = '23505';
const isUniqueViolation = (e: unknown) => (e as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION;

/** The secrets use cases. Every write runs in the caller's unit of work (see AuditInterceptor). */
@Injectable()
export class SecretsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly versions: SecretVersions,
    private readonly stores: SecretStores,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly audit: AuditLog,
    private readonly rotatorRules: RotatorRulesSlot,
    private readonly consumers: SecretConsumers,
  ) {}

  types(): SecretTypeResponseDto[] {
    return SECRET_TYPES.map((type) => ({ ...SECRET_TYPE_CATALOGUE[type] }));
  }

  async create(dto: CreateSecretDto, actor: Actor): Promise<SecretResponseDto> {
    const secret = await this.uow.run((tx) => this.insert(tx, dto, actor));
    this.metrics.secretCreated(secret.secretType);
    return SecretResponseDto.from(secret);
  }

  /** Creates up to 1000 secrets; each item succeeds or fails on its own (savepoint per item). */
  async bulkCreate(items: Record<string, unknown>[], actor: Actor): Promise<BulkCreateResultDto> {
    const results: BulkItemResultDto[] = [];
    const origin = auditOrigin();
    await this.uow.run(async (tx) => {
      for (const [index, raw] of items.entries()) {
        const dto = plainToInstance(CreateSecretDto, raw);
        const problems = await validate(dto, { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } });
        if (problems.length > 0) {
          const fields = problems.map((p) => p.property).join(', ');
          results.push({ index, status: 'error', name: typeof raw.name === 'string' ? raw.name : undefined, error: `invalid fields: ${fields}` });
          continue;
        }
        try {
          // Each created secret gets its own secret.created row, in the item's savepoint.
          const secret = await this.uow.savepoint((sp) =>
            runInAuditScope({}, async () => {
              const created = await this.insert(sp, dto, actor);
              await this.audit.record({
                ...(origin ?? { actor: actor.sub, roles: actor.roles }),
                action: AuditAction.SecretCreated,
                outcome: 'success',
                secretId: created.id,
                secretName: created.name,
                details: { bulk_index: index, secret_type: created.secretType },
              });
              return created;
            }),
          );
          this.metrics.secretCreated(secret.secretType);
          results.push({ index, status: 'created', id: secret.id, name: secret.name });
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          results.push({ index, status: 'error', name: dto.name, error: e.message });
        }
      }
    });
    const created = results.filter((r) => r.status === 'created').length;
    annotateAudit({ details: { created, failed: results.length - created } });
    return { created, failed: results.length - created, results };
  }

  /** `scope`: a policy-scoped caller (reader) sees only the secrets its policies select. */
  async list(q: ListSecretsQuery, scope?: PolicyScope): Promise<SecretListResponseDto> {
    const limit = q.limit ?? 50;
    const qb = this.uow
      .manager()
      .getRepository(SecretEntity)
      .createQueryBuilder('s')
      .where('s.deleted_at IS NULL')
      .orderBy('s.created_at', 'ASC')
      .addOrderBy('s.id', 'ASC')
      .limit(limit + 1);
    if (q.secret_type) qb.andWhere('s.secret_type = :type', { type: q.secret_type });
    if (q.expired_only) qb.andWhere('s.expires_at <= :now', { now: this.clock.now() });
    if (q.expiring_within_days !== undefined) {
      if (q.expired_only) {
        const problems = ['expiring_within_days selects secrets not yet expired: it cannot be combined with expired_only=true'];
        throw new DomainError(DomainErrorCode.InvalidInput, 'invalid request: expiring_within_days', { errors: [{ field: 'expiring_within_days', problems }] });
      }
      const now = this.clock.now();
      qb.andWhere('s.expires_at > :expNow AND s.expires_at <= :expUntil', { expNow: now, expUntil: addDays(now, q.expiring_within_days) });
    }
    if (q.rotation_status) qb.andWhere('s.rotation_status = :rs', { rs: q.rotation_status });
    if (q.name_prefix) {
      qb.andWhere("s.name LIKE :prefix ESCAPE '\\'", { prefix: `${q.name_prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    }
    for (const [i, tag] of (q.tag ?? []).entries()) {
      const at = tag.indexOf(':');
      qb.andWhere(`s.tags @> :tag${i}::jsonb`, { [`tag${i}`]: JSON.stringify({ [tag.slice(0, at)]: tag.slice(at + 1) }) });
    }
    if (q.stale_consumers) await this.consumers.flush();
    if (q.stale_consumers) qb.andWhere(SecretConsumers.staleCondition('s'), { activeSince: this.consumers.activeSince(this.clock.now()) });
    if (scope) whereSelectedBy(qb, 's', scope.policies);
    if (q.cursor) {
      const pos = decodeCursor(q.cursor);
      qb.andWhere('(s.created_at, s.id) > (:cAt::timestamptz, :cId)', { cAt: pos.createdAt, cId: pos.id });
    }
    const rows = await qb.getMany();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((s) => SecretResponseDto.from(s)),
      next_cursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null,
    };
  }

  async get(id: string): Promise<SecretResponseDto> {
    const tx = this.uow.manager();
    const secret = await this.findLive(tx, id);
    const dto = SecretResponseDto.from(secret);
    dto.consumers = await this.consumers.counts(tx, secret.id, secret.currentVersion, this.clock.now());
    return dto;
  }

  /** Each consumer of a secret (token `sub`) with the version it last read. */
  async listConsumers(id: string): Promise<SecretConsumersResponseDto> {
    const tx = this.uow.manager();
    const secret = await this.findLive(tx, id);
    const rows = await this.consumers.list(tx, secret.id);
    return SecretConsumersResponseDto.from(secret, rows, this.consumers.activeSince(this.clock.now()));
  }

  /**
   * `consumer`: the caller's `sub`, noted with the version it received (in memory, written in
   * batches: SecretConsumers.record). `grantedBy`: the access policy that let a reader in, named in the audit row.
   */
  async readValue(id: string, consumer: string, version?: number, grantedBy?: string): Promise<SecretValueResponseDto> {
    const tx = this.uow.manager();
    const found = await this.versions.locate(tx, id, version);
    if (!found) throw secretNotFound(id);
    annotateAudit({
      secretId: found.id,
      secretName: found.name,
      details: { version: version ?? found.current_version, ...(grantedBy ? { policy: grantedBy } : {}) },
    });
    // A retired previous version is history: readers (policy-granted) no longer get it.
    if (grantedBy && found.state === 'retired') {
      throw new DomainError(DomainErrorCode.Gone, `version ${found.version} of secret ${found.id} was retired after a rotation; read the current version`);
    }
    const value = await this.versions.serve(tx, found, version);
    this.consumers.record(found.id, consumer, found.version!, this.clock.now());
    this.metrics.secretAccessed();
    return { id: found.id, name: found.name, secret_type: found.secret_type, version: found.version!, value };
  }

  async listVersions(id: string): Promise<SecretVersionResponseDto[]> {
    const tx = this.uow.manager();
    const secret = await this.findLive(tx, id);
    const rows = await tx.getRepository(SecretVersionEntity).find({ where: { secretId: secret.id }, order: { version: 'DESC' } });
    return rows.map((r) => SecretVersionResponseDto.from(r));
  }

  async update(id: string, dto: UpdateSecretDto): Promise<SecretResponseDto> {
    return this.uow.run(async (tx) => {
      const secret = await this.findLive(tx, id, true);
      if (dto.tags !== undefined) secret.tags = dto.tags;
      if (dto.description !== undefined) secret.description = dto.description;
      if (dto.grace_period_hours !== undefined) secret.gracePeriodHours = dto.grace_period_hours;
      if (dto.expires_at !== undefined) secret.expiresAt = dto.expires_at === null ? null : new Date(dto.expires_at);
      if (dto.rotator !== undefined) {
        if (dto.rotator) await this.checkRotator(tx, secret.secretType as SecretType, dto.rotator as RotatorConfig);
        secret.rotator = dto.rotator ? ({ ...dto.rotator } as RotatorConfig) : null;
      }
      if (dto.rotation_interval_days !== undefined) {
        secret.rotationIntervalDays = dto.rotation_interval_days;
        secret.nextRotationAt = addDays(secret.lastRotatedAt ?? secret.createdAt, dto.rotation_interval_days);
      }
      secret.updatedAt = this.clock.now();
      await tx.getRepository(SecretEntity).save(secret);
      annotateAudit({ details: { fields: Object.keys(dto).sort().join(',') } });
      return SecretResponseDto.from(secret);
    });
  }

  /** Stores a new value as a new current version; `expected_version` makes it check-and-set. */
  async putValue(id: string, dto: PutValueDto, actor: Actor): Promise<SecretResponseDto> {
    return this.uow.run(async (tx) => {
      const secret = await this.findLive(tx, id, true);
      if (dto.expected_version !== undefined && dto.expected_version !== secret.currentVersion) {
        throw new DomainError(
          DomainErrorCode.VersionMismatch,
          `expected version ${dto.expected_version} but the current version is ${secret.currentVersion}`,
          { current_version: secret.currentVersion },
        );
      }
      this.checkValue(secret.secretType as SecretType, dto.value);
      const row = await this.versions.append(tx, secret, dto.value, actor.sub, 'current');
      annotateAudit({ details: { version: row.version } });
      return SecretResponseDto.from(secret);
    });
  }

  /** Soft delete: hidden from lists and reads, restorable until SECRET_DELETE_RETENTION_DAYS pass. */
  async softDelete(id: string, actor: Actor): Promise<void> {
    await this.uow.run(async (tx) => {
      const secret = await this.findLive(tx, id, true);
      const now = this.clock.now();
      secret.deletedAt = now;
      secret.deletedBy = actor.sub;
      secret.purgeAfter = addDays(now, this.config.secrets.deleteRetentionDays);
      secret.updatedAt = now;
      await tx.getRepository(SecretEntity).save(secret);
    });
  }

  /** Destroys a secret at once, live or soft-deleted: every version in the store, then its rows. */
  async purge(id: string): Promise<void> {
    await this.uow.run(async (tx) => {
      const secret = await lockSecretRow(tx, id, { deleted: 'any' });
      if (!secret) throw secretNotFound(id);
      annotateAudit({ secretId: secret.id, secretName: secret.name });
      await this.purgeLocked(tx, secret);
    });
  }

  /** Used by purge and by the retention cleanup job; the caller holds the row lock. */
  async purgeLocked(tx: EntityManager, secret: SecretEntity): Promise<void> {
    await this.versions.storeCall(() => this.stores.for(secret.store).purge(tx, secret.id));
    await tx.getRepository(SecretVersionEntity).delete({ secretId: secret.id });
    await this.consumers.forget(tx, secret.id);
    await tx.getRepository(SecretEntity).delete({ id: secret.id });
  }

  async restore(id: string): Promise<SecretResponseDto> {
    return this.uow.run(async (tx) => {
      const secret = await lockSecretRow(tx, id, { deleted: 'deleted' });
      if (!secret) throw new DomainError(DomainErrorCode.NotFound, `no deleted secret ${id} to restore`);
      annotateAudit({ secretId: secret.id, secretName: secret.name });
      if (secret.purgeAfter && secret.purgeAfter <= this.clock.now()) {
        throw new DomainError(DomainErrorCode.Gone, `secret ${id} is past its retention and can no longer be restored`);
      }
      secret.deletedAt = null;
      secret.deletedBy = null;
      secret.purgeAfter = null;
      secret.updatedAt = this.clock.now();
      try {
        await tx.getRepository(SecretEntity).save(secret);
      } catch (e) {
        if (isUniqueViolation(e)) throw duplicateName(secret.name);
        throw e;
      }
      return SecretResponseDto.from(secret);
    });
  }

  /** Loads a live secret (optionally locking its row for a write) and names it in the audit row. */
  async findLive(tx: EntityManager, id: string, lock = false): Promise<SecretEntity> {
    const secret = lock
      ? await lockSecretRow(tx, id)
      : await tx.getRepository(SecretEntity).createQueryBuilder('s').where('s.id = :id AND s.deleted_at IS NULL', { id }).getOne();
    if (!secret) throw secretNotFound(id);
    annotateAudit({ secretId: secret.id, secretName: secret.name });
    return secret;
  }

  private async insert(tx: EntityManager, dto: CreateSecretDto, actor: Actor): Promise<SecretEntity> {
    const type = dto.secret_type;
    let value = dto.value;
    if (value === undefined) {
      if (!canGenerate(type)) throw invalidValue(`value is required: ${type} values cannot be generated`);
      value = generateValue(type);
    } else {
      this.checkValue(type, value);
    }
    if (dto.rotator) await this.checkRotator(tx, type, dto.rotator as RotatorConfig);
    const now = this.clock.now();
    const interval = dto.rotation_interval_days ?? this.config.secrets.defaultRotationIntervalDays;
    const store = this.stores.defaultKind;
    const lifetime = this.rotatorRules.get().valueLifetime(value, dto.rotator as RotatorConfig | undefined);
    const expiresAt = dto.expires_at ? new Date(dto.expires_at) : type === 'TLS_CERTIFICATE' ? certificateNotAfter(value) : (lifetime.expiresAt ?? null);

    const secret = tx.getRepository(SecretEntity).create({
      id: newSecretId(),
      name: dto.name,
      secretType: type,
      description: dto.description ?? null,
      tags: dto.tags ?? {},
      store,
      // Vault too: a value reaches Vault in the clear only when the request asks for it.
      encryptLocally: store === 'local' ? true : (dto.encrypt_locally ?? true),
      currentVersion: 1,
      currentStoreVersion: 1,
      createdAt: now,
      createdBy: actor.sub,
      updatedAt: now,
      expiresAt,
      lastRotatedAt: null,
      nextRotationAt: lifetime.renewAt && lifetime.renewAt < addDays(now, interval) ? lifetime.renewAt : addDays(now, interval),
      rotationIntervalDays: interval,
      rotationStatus: 'none',
      rotator: dto.rotator ? ({ ...dto.rotator } as RotatorConfig) : null,
      gracePeriodHours: null,
      previousRetireAt: null,
      deletedAt: null,
      deletedBy: null,
      purgeAfter: null,
    });
    annotateAudit({ secretId: secret.id, secretName: secret.name, details: { secret_type: type } });
    try {
      await tx.getRepository(SecretEntity).insert(secret);
    } catch (e) {
      if (isUniqueViolation(e)) throw duplicateName(dto.name);
      throw e;
    }
    await this.versions.writeFirst(tx, secret, value, actor.sub);
    return secret;
  }

  private checkValue(type: SecretType, value: string): void {
    const problem = validateUserValue(type, value);
    if (problem) throw invalidValue(problem);
  }

  /**
   * A rotator sends its admin credential to its target: the target must be allowed
   * (ROTATOR_ALLOWED_HOSTS, never link-local or metadata) and the credential a credential type.
   * Checked again at rotation time and at every use (RotationService, the rotator). The rules are
   * the rotation module's (RotatorRules, secrets/rotator-rules.ts).
   */
  private async checkRotator(tx: EntityManager, type: SecretType, rotator: RotatorConfig): Promise<void> {
    const rules = this.rotatorRules.get();
    const problems = rules.settingsProblems(type, rotator);
    // ssh_key builds its key pair locally: no admin credential.
    if (rotator.admin_secret_id !== undefined) {
      const admin = await tx.getRepository(SecretEntity).findOneBy({ id: rotator.admin_secret_id, deletedAt: IsNull() });
      const adminProblem = rules.adminCredentialProblem({ ...rotator, admin_secret_id: rotator.admin_secret_id }, admin);
      if (adminProblem) problems.push(adminProblem);
    }
    if (problems.length > 0) {
      throw new DomainError(DomainErrorCode.InvalidInput, `rotator refused: ${problems.join('; ')}`, { errors: [{ field: 'rotator', problems }] });
    }
  }
}
