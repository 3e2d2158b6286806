import { DiscoveryService } from '@nestjs/core';
import type { EntityManager } from 'typeorm';
import type { TaskEntity } from './entities/task.entity.js';
import type { TaskItemEntity } from './entities/task-item.entity.js';

/** Thrown by a handler for an item that must not be retried (e.g. the secret is gone). */
export class PermanentItemError extends Error {}

/** What a handler gets for one item. */
export interface ItemContext {
  task: TaskEntity;
  item: TaskItemEntity;
  /**
   * Marks the item done inside `tx`, the transaction that commits the item's effect. Throws (so the
   * effect rolls back) if another worker already finished the item: effects happen exactly once.
   */
  markDone(tx: EntityManager): Promise<void>;
  /** Marks the item failed for good inside `tx` (the handler recorded the failure itself). */
  markFailed(tx: EntityManager, error: string): Promise<void>;
  /** Saves handler progress (e.g. a rotation id) with the item, inside `tx`. */
  remember(tx: EntityManager, ref: string): Promise<void>;
  /**
   * True when the item runs in a savepoint of a batch transaction (see `TaskHandler.batchSize`):
   * the handler must then do all its work through `UnitOfWork` in one go and not retry inline.
   */
  inBatch: boolean;
}

/** Thrown by a handler in a batch for an item that needs transactions of its own. */
export class RunAlone extends Error {
  constructor() {
    super('item needs its own transactions');
  }
}

/**
 * What a kind of task does with each item. The handler commits the item's effect in the same
 * transaction as `markDone`, so a crash never leaves an item half-done or done twice; a handler
 * whose work spans several commits records its progress with `remember` and resumes from it when
 * the item is claimed again. A handler that never calls `markDone` has its item marked done after
 * it returns. Throwing fails the attempt; the item is retried with backoff, or fails for good on
 * `PermanentItemError` or after TASK_ITEM_MAX_ATTEMPTS. A handler lives in `*.task-handler.ts`, is
 * marked `@BackgroundTaskHandler()` and listed in its module's providers; TaskRunner finds it.
 */
export abstract class TaskHandler {
  abstract readonly kind: string;
  /**
   * Set to work items in batches: that many items share one transaction, each in a savepoint, so
   * they share one commit (and one hold of the audit chain lock). A failing item rolls back alone.
   */
  readonly batchSize?: number;
  abstract processItem(ctx: ItemContext): Promise<void>;
  /** Called once, after the last item, in its own transaction; returns the task's result summary. */
  complete?(tx: EntityManager, task: TaskEntity): Promise<Record<string, unknown> | null>;
}

/** Registers a TaskHandler provider with the TaskRunner (found by Nest's DiscoveryService). */
export const BackgroundTaskHandler = DiscoveryService.createDecorator<void>();
