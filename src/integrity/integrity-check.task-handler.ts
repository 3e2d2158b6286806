import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { TaskEntity } from '../tasks/entities/task.entity.js';
import { BackgroundTaskHandler, type ItemContext, TaskHandler } from '../tasks/task-handler.js';
import { INTEGRITY_TASK, IntegrityService } from './integrity.service.js';

/** integrity_check tasks: one item per secret, checked by IntegrityService. */
@Injectable()
@BackgroundTaskHandler()
export class IntegrityCheckTaskHandler extends TaskHandler {
  readonly kind = INTEGRITY_TASK;

  constructor(private readonly integrity: IntegrityService) {
    super();
  }

  processItem(ctx: ItemContext): Promise<void> {
    return this.integrity.checkItem(ctx);
  }

  override complete(tx: EntityManager, task: TaskEntity): Promise<Record<string, unknown>> {
    return this.integrity.completeCheck(tx, task);
  }
}
