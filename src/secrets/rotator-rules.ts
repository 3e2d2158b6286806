import { Injectable } from '@nestjs/common';
import type { SecretType } from '../crypto/index.js';
import type { RotatorConfig, SecretEntity } from './entities/secret.entity.js';

/**
 * What the secrets module needs to know about rotators when a secret is created or changed: are
 * these settings acceptable, and what lifetime does a rotator read from a stored value. The rotation
 * module implements it (rotation depends on secrets, never the other way) and puts its
 * implementation into RotatorRulesSlot at start-up.
 */
export interface RotatorRules {
  /** Problems with these settings for a secret of `type` (shape, ROTATOR_ALLOWED_HOSTS, never link-local). */
  settingsProblems(type: SecretType, rotator: RotatorConfig): string[];
  /** The problem with the admin credential the settings name (`admin`: that live secret, or null), if any. */
  adminCredentialProblem(rotator: RotatorConfig & { admin_secret_id: string }, admin: SecretEntity | null): string | null;
  /** When a value stored under this rotator expires and is due for renewal (certificates, OAuth tokens), where it says. */
  valueLifetime(value: string, rotator: RotatorConfig | undefined): { expiresAt?: Date; renewAt?: Date };
}

/** Holds the rotation module's RotatorRules (filled at module init, before any request). */
@Injectable()
export class RotatorRulesSlot {
  private rules: RotatorRules | undefined;

  use(rules: RotatorRules): void {
    this.rules = rules;
  }

  get(): RotatorRules {
    if (!this.rules) throw new Error('no RotatorRules registered: the rotation module is not part of this application');
    return this.rules;
  }
}
