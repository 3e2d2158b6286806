import { Module } from '@nestjs/common';
import { PoliciesController } from './policies.controller.js';
import { PoliciesService } from './policies.service.js';
import { PolicyCache } from './policy-cache.js';
import { PolicyGuard } from './policy-gate.js';

/**
 * Access policies (src/policies/README.md): owns `access_policies` and `access_policies_version`.
 * Exports the cache and the guard behind @PolicyGate for the routes `reader` may call.
 */
@Module({
  controllers: [PoliciesController],
  providers: [PolicyCache, PoliciesService, PolicyGuard],
  exports: [PolicyCache, PolicyGuard],
})
export class PoliciesModule {}
