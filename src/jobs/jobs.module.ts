import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { JobScheduler } from './job-scheduler.js';
import { LoopScheduler } from './loop-scheduler.js';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';

/** Scheduled jobs (`@ScheduledJob()` providers) and periodic loops (`@PeriodicLoop(name)`): see README.md. */
@Module({
  imports: [ScheduleModule.forRoot(), DiscoveryModule],
  controllers: [JobsController],
  providers: [JobsService, JobScheduler, LoopScheduler],
  exports: [JobsService, JobScheduler, LoopScheduler],
})
export class JobsModule {}
