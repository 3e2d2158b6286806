import { Global, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { JobScheduler } from './job-scheduler.js';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';

/** Scheduled jobs: modules register their JobHandlers with JobsService on init. */
@Global()
@Module({
  imports: [ScheduleModule.forRoot()],
  controllers: [JobsController],
  providers: [JobsService, JobScheduler],
  exports: [JobsService, JobScheduler],
})
export class JobsModule {}
