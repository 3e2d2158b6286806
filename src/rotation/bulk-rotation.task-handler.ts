import { Injectable } from '@nestjs/common';
import { systemActor, type Actor } from '../auth/auth.types.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { BackgroundTaskHandler, type ItemContext, PermanentItemError, RunAlone, TaskHandler } from '../tasks/task-handler.js';
import { type RotationHooks, RotationService } from './rotation.service.js';

export const BULK_ROTATION_TASK = 'rotate_bulk';

/**
 * One item = one secret to rotate. The item is marked done (or failed) in the same transaction
 * that completes (or fails) its rotation, and a staged rotation's id is saved with the item when
 * it starts: after a crash the item resumes that rotation instead of starting another, so no
 * secret is rotated twice.
 */
@Injectable()
@BackgroundTaskHandler()
export class BulkRotationHandler extends TaskHandler {
  readonly kind = BULK_ROTATION_TASK;
  /** Generated rotations of many secrets share commits (and the audit chain lock) 25 at a time. */
  override readonly batchSize = 25;

  constructor(private readonly rotation: RotationService) {
    super();
  }

  async processItem(ctx: ItemContext): Promise<void> {
    const { task, item } = ctx;
    const actor: Actor = task.createdBy.startsWith('system:')
      ? systemActor(task.createdBy.slice('system:'.length))
      : { sub: task.createdBy, roles: ['admin'], mfa: true };
    const hooks: RotationHooks = {
      begun: (tx, rotationId) => ctx.remember(tx, rotationId),
      finished: (tx, rotation) =>
        rotation.status === 'completed' ? ctx.markDone(tx) : ctx.markFailed(tx, rotation.lastError ?? 'rotation failed'),
    };
    // A resumed staged rotation commits step by step: not in a batch (rotate() says the same of
    // a new staged rotation by throwing RunAlone).
    if (ctx.inBatch && item.ref) throw new RunAlone();
    if (item.ref && (await this.rotation.continueStarted(item.ref, hooks))) return;
    try {
      const reason = typeof task.params.reason === 'string' ? task.params.reason : undefined;
      // In a batch the item's savepoint cannot survive a failed attempt: the runner retries the item.
      await this.rotation.rotate(item.target, { reason }, actor, task.params.job ? 'schedule' : 'bulk', hooks, { singleAttempt: ctx.inBatch });
    } catch (e) {
      if (e instanceof DomainError && (e.code === DomainErrorCode.NotFound || e.code === DomainErrorCode.InvalidInput)) {
        throw new PermanentItemError(e.message);
      }
      throw e;
    }
  }
}
