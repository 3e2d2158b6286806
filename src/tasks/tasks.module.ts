import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TaskRunner } from './task-runner.js';
import { TasksController } from './tasks.controller.js';
import { TasksService } from './tasks.service.js';

/** Background tasks; the TaskRunner finds the `@BackgroundTaskHandler()` providers by discovery. */
@Module({
  imports: [DiscoveryModule],
  controllers: [TasksController],
  providers: [TasksService, TaskRunner],
  exports: [TasksService, TaskRunner],
})
export class TasksModule {}
