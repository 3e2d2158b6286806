import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Actor } from '../auth/auth.types.js';
import { Clock } from '../clock/clock.js';
import { AppConfig } from '../config/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { SecretsRepository } from '../secrets/secrets.repository.js';
import type { RotationContext, RotationHooks } from './attempt-context.js';
import type { RotationEntity } from './entities/rotation.entity.js';
import { InlineRotation } from './inline-rotation.js';
import { failure, RotationFailureCause } from './rotation-failure.js';
import { RotationOutcomes } from './rotation-outcomes.js';
import { RotationRecords } from './rotation-records.js';
import { RotatorRegistry } from './rotator-registry.js';
import { StagedRotation } from './staged-rotation.js';

/**
 * Continues rotations nobody is driving any more: those a crash left (no heartbeat for
 * ROTATION_RESUME_AFTER_SECONDS, claimed by one replica) and those a task item started. The
 * database alone says where each stopped: a staged one with a pending version is verified and
 * promoted or undone, anything else gets its next attempt.
 */
@Injectable()
export class RotationResume {
  private readonly logger = new Logger('RotationService');

  constructor(
    private readonly uow: UnitOfWork,
    @Inject(SecretsRepository) private readonly secrets: Pick<SecretsRepository, 'find'>,
    private readonly records: RotationRecords,
    private readonly outcomes: RotationOutcomes,
    private readonly registry: RotatorRegistry,
    private readonly inline: InlineRotation,
    private readonly staged: StagedRotation,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Picks up rotations a crash left unfinished; returns how many this replica claimed. */
  async resumeInterrupted(): Promise<number> {
    const staleBefore = new Date(this.clock.now().getTime() - this.config.rotation.resumeAfterSeconds * 1000);
    let resumed = 0;
    for (const rotation of await this.records.stale(staleBefore)) {
      if (!(await this.records.claim(rotation))) continue;
      resumed += 1;
      try {
        await this.resume(rotation);
      } catch (e) {
        this.logger.error(`resuming rotation ${rotation.id} failed: ${(e as Error).message}`);
      }
    }
    return resumed;
  }

  async resume(rotation: RotationEntity, hooks: RotationHooks = {}): Promise<RotationEntity> {
    if (rotation.status === 'completed' || rotation.status === 'failed') return rotation;
    const secret = await this.secrets.find(this.uow.manager(), rotation.secretId);
    const actor = { sub: rotation.triggeredBy, roles: [], mfa: false } as unknown as Actor;
    if (!secret || secret.deletedAt) {
      return this.outcomes.fail(rotation, failure(RotationFailureCause.SecretGone, 'the secret was deleted during the rotation'), actor, hooks);
    }
    // The request's value (if any) is not kept: a resumed attempt generates or produces its own.
    const ctx: RotationContext = { secretId: secret.id, req: {}, actor, trigger: rotation.trigger, hooks, mode: 'all' };
    const rotator = this.registry.byKind(rotation.rotator) ?? this.registry.of(secret);
    if (rotator.external) return this.staged.continue({ ...ctx, rotation, secret, rotator });
    return this.inline.retry(rotation, ctx);
  }
}
