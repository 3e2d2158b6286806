import { Injectable } from '@nestjs/common';
import type { Actor } from '../auth/auth.types.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { canGenerate, type SecretType } from '../crypto/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { TaskAcceptedDto } from '../tasks/dto/task-status.dto.js';
import { TaskRunner } from '../tasks/task-runner.js';
import { TasksService } from '../tasks/tasks.service.js';
import { BULK_ROTATION_TASK } from './bulk-rotation.task-handler.js';
import type { BulkRotateDto } from './dto/bulk-rotate.dto.js';

/** Selects the secrets of a bulk rotation and queues one task item per secret. */
@Injectable()
export class BulkRotationService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tasks: TasksService,
    private readonly runner: TaskRunner,
  ) {}

  async start(dto: BulkRotateDto, actor: Actor): Promise<TaskAcceptedDto> {
    const given = [dto.secret_type, dto.ids, dto.tag].filter((x) => x !== undefined).length;
    if (given !== 1) {
      throw new DomainError(DomainErrorCode.InvalidInput, 'give exactly one of secret_type, ids or tag');
    }
    if (dto.secret_type && !canGenerate(dto.secret_type as SecretType)) {
      throw new DomainError(DomainErrorCode.InvalidInput, `${dto.secret_type} values cannot be generated, so they cannot be rotated in bulk`);
    }
    const ids = await this.select(dto);
    const accepted = await this.tasks.create(BULK_ROTATION_TASK, { ...this.describe(dto), ...(dto.reason ? { reason: dto.reason } : {}) }, ids, actor.sub);
    this.runner.nudge();
    return accepted;
  }

  /** Secrets to rotate, oldest first; used by check_expired_secrets too. */
  async select(dto: Pick<BulkRotateDto, 'secret_type' | 'ids' | 'tag'>): Promise<string[]> {
    const qb = this.uow.manager().createQueryBuilder().select('s.id', 'id').from('secrets', 's').where('s.deleted_at IS NULL').orderBy('s.created_at').addOrderBy('s.id');
    if (dto.secret_type) qb.andWhere('s.secret_type = :type', { type: dto.secret_type });
    if (dto.ids) qb.andWhere('s.id = ANY(:ids)', { ids: dto.ids });
    if (dto.tag) {
      const at = dto.tag.indexOf(':');
      qb.andWhere('s.tags @> :tag::jsonb', { tag: JSON.stringify({ [dto.tag.slice(0, at)]: dto.tag.slice(at + 1) }) });
    }
    const rows = (await qb.getRawMany()) as { id: string }[];
    if (dto.ids && rows.length !== new Set(dto.ids).size) {
      const found = new Set(rows.map((r) => r.id));
      const missing = dto.ids.filter((id) => !found.has(id));
      throw new DomainError(DomainErrorCode.NotFound, `unknown or deleted secrets: ${missing.slice(0, 20).join(', ')}`, { missing: missing.slice(0, 100) });
    }
    return rows.map((r) => r.id);
  }

  private describe(dto: BulkRotateDto): Record<string, unknown> {
    if (dto.secret_type) return { secret_type: dto.secret_type };
    if (dto.tag) return { tag: dto.tag };
    return { ids: dto.ids!.length };
  }
}
