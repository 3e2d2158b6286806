import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { VaultModule } from '../vault/vault.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), VaultModule],
  controllers: [HealthController],
})
export class HealthModule {}
