import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { TaskEntity } from '../tasks/entities/task.entity.js';
import { BackgroundTaskHandler, type ItemContext, TaskHandler } from '../tasks/task-handler.js';
import { KEY_REWRAP_TASK, KeyRewrapService } from './key-rewrap.service.js';

/** key_rewrap tasks: one item per secret, re-wrapped by KeyRewrapService. */
@Injectable()
@BackgroundTaskHandler()
export class KeyRewrapTaskHandler extends TaskHandler {
  readonly kind = KEY_REWRAP_TASK;

  constructor(private readonly rewrap: KeyRewrapService) {
    super();
  }

  processItem(ctx: ItemContext): Promise<void> {
    return this.rewrap.rewrapItem(ctx);
  }

  override complete(tx: EntityManager, task: TaskEntity): Promise<Record<string, unknown>> {
    return this.rewrap.completeRewrap(tx, task);
  }
}
