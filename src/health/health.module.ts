import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SecretsModule } from '../secrets/secrets.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), SecretsModule],
  controllers: [HealthController],
})
export class HealthModule {}
