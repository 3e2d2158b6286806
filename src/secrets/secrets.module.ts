import { Module } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { KeyCheck } from './key-check.js';
import { KeyRewrapService } from './key-rewrap.service.js';
import { KeysController } from './keys.controller.js';
import { SecretsController } from './secrets.controller.js';
import { CleanupOldSecretVersionsJob } from './secrets-maintenance.job.js';
import { SecretsRepository } from './secrets.repository.js';
import { SecretsService } from './secrets.service.js';
import { SecretVersions } from './secret-versions.service.js';
import { LocalSecretStore } from './store/local-secret-store.js';
import { SecretStore } from './store/secret-store.port.js';
import { SecretStores } from './store/secret-stores.js';
import { VaultModule, VAULT_STORE } from '../vault/vault.module.js';
import { PoliciesModule } from '../policies/policies.module.js';

@Module({
  imports: [VaultModule, PoliciesModule],
  controllers: [SecretsController, KeysController],
  providers: [
    LocalSecretStore,
    {
      provide: SecretStores,
      inject: [LocalSecretStore, AppConfig, VAULT_STORE],
      useFactory: (local: LocalSecretStore, config: AppConfig, vault: SecretStore | null) => new SecretStores(local, config, vault),
    },
    { provide: SecretStore, inject: [SecretStores], useFactory: (stores: SecretStores) => stores.default },
    SecretsRepository,
    SecretVersions,
    SecretsService,
    CleanupOldSecretVersionsJob,
    KeyRewrapService,
    KeyCheck,
  ],
  exports: [KeyCheck, SecretsService, SecretsRepository, SecretVersions, SecretStores, SecretStore],
})
export class SecretsModule {}
