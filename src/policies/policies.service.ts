import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { annotateAudit } from '../audit-log/audit-scope.js';
import type { Actor } from '../auth/auth.types.js';
import { Clock } from '../clock/clock.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { EntityManager } from 'typeorm';
import {
  type ExplainQuery,
  type ExplainResponseDto,
  MAX_POLICIES,
  type PolicyBodyDto,
  type PolicyListResponseDto,
  PolicyResponseDto,
} from './dto/policy.dto.js';
import { AccessPolicyEntity } from './entities/access-policy.entity.js';
import { AccessPoliciesVersionEntity } from './entities/access-policy-version.entity.js';
import { duplicatePolicyName, explainedSecretNotFound, policyNotFound, tooManyPolicies } from './policies.errors.js';
import { secretAttributes } from './policies.queries.js';
import { PolicyCache } from './policy-cache.js';
import { explain, normalizeSubject } from './policy-evaluation.js';

const UNIQUE_VIOLATION = '23505';
const isUniqueViolation = (e: unknown) => (e as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION;
const newPolicyId = () => `pol_${randomBytes(12).toString('base64url')}`;
const splitList = (v?: string) => (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

function toResponse(e: AccessPolicyEntity): PolicyResponseDto {
  return Object.assign(new PolicyResponseDto(), {
    id: e.id,
    name: e.name,
    description: e.description,
    subjects: e.subjects,
    name_prefix: e.namePrefix,
    tags: e.tags,
    secret_types: e.secretTypes,
    secret_ids: e.secretIds,
    capabilities: e.capabilities,
    created_at: e.createdAt.toISOString(),
    created_by: e.createdBy,
    updated_at: e.updatedAt.toISOString(),
    updated_by: e.updatedBy,
  });
}

/** Access policies: CRUD (each change bumps the version every replica's cache watches) and explain. */
@Injectable()
export class PoliciesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly cache: PolicyCache,
    private readonly clock: Clock,
  ) {}

  async list(): Promise<PolicyListResponseDto> {
    const rows = await this.uow.manager().getRepository(AccessPolicyEntity).find({ order: { name: 'ASC' } });
    return { items: rows.map(toResponse) };
  }

  async get(id: string): Promise<PolicyResponseDto> {
    return toResponse(await this.find(this.uow.manager(), id));
  }

  async create(dto: PolicyBodyDto, actor: Actor): Promise<PolicyResponseDto> {
    return this.change(async (tx) => {
      const count = await tx.getRepository(AccessPolicyEntity).count();
      if (count >= MAX_POLICIES) throw tooManyPolicies(MAX_POLICIES);
      const now = this.clock.now();
      const row = Object.assign(new AccessPolicyEntity(), { id: newPolicyId(), createdAt: now, createdBy: actor.sub });
      return this.save(tx, row, dto, actor, now);
    });
  }

  /** PUT: the body replaces the whole policy. */
  async replace(id: string, dto: PolicyBodyDto, actor: Actor): Promise<PolicyResponseDto> {
    return this.change(async (tx) => this.save(tx, await this.find(tx, id), dto, actor, this.clock.now()));
  }

  async remove(id: string): Promise<void> {
    await this.change(async (tx) => {
      const row = await this.find(tx, id);
      annotateAudit({ details: { policy_id: row.id, policy_name: row.name } });
      await tx.getRepository(AccessPolicyEntity).delete({ id: row.id });
    });
  }

  async explain(q: ExplainQuery): Promise<ExplainResponseDto> {
    const secret = await secretAttributes(this.uow.manager(), q.secret_id);
    if (!secret) throw explainedSecretNotFound(q.secret_id);
    annotateAudit({ secretId: secret.id, secretName: secret.name, details: { subject: q.sub } });
    const principals = [
      `sub:${q.sub}`,
      ...splitList(q.roles).map((v) => `role:${v}`),
      ...splitList(q.groups).map((v) => `group:${v}`),
      ...(q.azp ? [`azp:${q.azp}`] : []),
    ];
    const result = explain(await this.cache.current(), principals, secret);
    return { sub: q.sub, principals, secret_id: secret.id, secret_name: secret.name, ...result };
  }

  /** A change: serialized by the version row's lock, and the version moves with it. */
  private async change<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.uow.run(async (tx) => {
      await tx.getRepository(AccessPoliciesVersionEntity).increment({ id: 1 }, 'version', 1);
      return fn(tx);
    });
    this.cache.invalidate();
    return result;
  }

  private async find(tx: EntityManager, id: string): Promise<AccessPolicyEntity> {
    const row = await tx.getRepository(AccessPolicyEntity).findOneBy({ id });
    if (!row) throw policyNotFound(id);
    return row;
  }

  private async save(tx: EntityManager, row: AccessPolicyEntity, dto: PolicyBodyDto, actor: Actor, now: Date): Promise<PolicyResponseDto> {
    Object.assign(row, {
      name: dto.name,
      description: dto.description ?? null,
      subjects: [...new Set(dto.subjects.map(normalizeSubject))],
      namePrefix: dto.name_prefix ? dto.name_prefix : null,
      tags: dto.tags ?? {},
      secretTypes: dto.secret_types ?? [],
      secretIds: dto.secret_ids ?? [],
      capabilities: dto.capabilities,
      updatedAt: now,
      updatedBy: actor.sub,
    });
    try {
      // A savepoint, so a duplicate name leaves the transaction usable for the audit row.
      await this.uow.savepoint((sp) => sp.getRepository(AccessPolicyEntity).save(row));
    } catch (e) {
      if (isUniqueViolation(e)) throw duplicatePolicyName(dto.name);
      throw e;
    }
    annotateAudit({ details: { policy_id: row.id, policy_name: row.name, capabilities: row.capabilities.join(',') } });
    return toResponse(row);
  }
}
