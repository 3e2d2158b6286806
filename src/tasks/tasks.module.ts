import { Module } from '@nestjs/common';
import { TaskRunner } from './task-runner.js';
import { TasksController } from './tasks.controller.js';
import { TasksService } from './tasks.service.js';

/** Background tasks; modules register their TaskHandlers with the TaskRunner on init. */
@Module({
  controllers: [TasksController],
  providers: [TasksService, TaskRunner],
  exports: [TasksService, TaskRunner],
})
export class TasksModule {}
