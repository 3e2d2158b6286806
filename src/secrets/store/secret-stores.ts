import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/index.js';
import { LocalSecretStore } from './local-secret-store.js';
import { SecretStore, type StoreKind, StoreUnavailableError } from './secret-store.port.js';

/**
 * Both stores. New secrets go to the default one (Vault when USE_VAULT=true); each secret keeps
 * the store it was created in, so switching USE_VAULT never strands existing secrets.
 */
@Injectable()
export class SecretStores {
  constructor(
    readonly local: LocalSecretStore,
    private readonly config: AppConfig,
    private readonly vault: SecretStore | null,
  ) {}

  get defaultKind(): StoreKind {
    return this.config.vault.enabled ? 'vault' : 'local';
  }

  get default(): SecretStore {
    return this.for(this.defaultKind);
  }

  for(kind: StoreKind): SecretStore {
    if (kind === 'local') return this.local;
    if (!this.vault) throw new StoreUnavailableError('this secret is stored in Vault, but USE_VAULT is not enabled');
    return this.vault;
  }
}
