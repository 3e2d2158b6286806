import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import type { SecretType } from '../crypto/index.js';
import type { RotatorConfig, SecretEntity } from '../secrets/entities/secret.entity.js';
import { type RotatorRules, RotatorRulesSlot } from '../secrets/rotator-rules.js';
import { adminCredentialProblem } from './admin-credential.js';
import { RotatorTargetPolicy } from './rotator-target.js';
import { rotatorSettingsProblems } from './rotator-settings.js';
import { certificateRenewAt, DEFAULT_RENEW_AT_FRACTION } from './rotators/internal-ca/internal-ca.rotator.js';
import { oauthTokenRenewal } from './rotators/oauth/oauth-token.js';

/** The rotation module's answers to the secrets module's RotatorRules port (secrets/rotator-rules.ts). */
@Injectable()
export class RotationRotatorRules implements RotatorRules, OnModuleInit {
  private readonly targets: RotatorTargetPolicy;

  constructor(
    private readonly slot: RotatorRulesSlot,
    config: AppConfig,
  ) {
    this.targets = new RotatorTargetPolicy(config.rotators.allowedHosts, config.rotators.connectTimeoutMs);
  }

  onModuleInit(): void {
    this.slot.use(this);
  }

  settingsProblems(type: SecretType, rotator: RotatorConfig): string[] {
    return rotatorSettingsProblems(this.targets, type, rotator);
  }

  adminCredentialProblem(rotator: RotatorConfig & { admin_secret_id: string }, admin: SecretEntity | null): string | null {
    return adminCredentialProblem(rotator.kind, rotator.admin_secret_id, admin);
  }

  valueLifetime(value: string, rotator: RotatorConfig | undefined): { expiresAt?: Date; renewAt?: Date } {
    if (rotator?.kind === 'internal_ca') return { renewAt: certificateRenewAt(value, rotator.renew_at_fraction ?? DEFAULT_RENEW_AT_FRACTION) };
    return oauthTokenRenewal(value, rotator) ?? {};
  }
}
