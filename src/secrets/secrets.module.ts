import { Module } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { KeyCheck } from './key-check.js';
import { KeyRewrapService } from './key-rewrap.service.js';
import { KeysController } from './keys.controller.js';
import { SecretsController } from './secrets.controller.js';
import { CleanupOldSecretVersionsJob } from './cleanup-old-secret-versions.job.js';
import { SecretsMaintenance } from './secrets-maintenance.service.js';
import { KeyRewrapTaskHandler } from './key-rewrap.task-handler.js';
import { SecretsRepository } from './secrets.repository.js';
import { RotatorRulesSlot } from './rotator-rules.js';
import { SecretRestore } from './secret-restore.js';
import { SecretsService } from './secrets.service.js';
import { SecretVersions } from './secret-versions.service.js';
import { SecretConsumers } from './secret-consumers.service.js';
import { PreviousVersionRetirement } from './previous-version-retirement.js';
import { LocalSecretStore } from './store/local-secret-store.js';
import { SecretStore } from './store/secret-store.port.js';
import { SecretStores } from './store/secret-stores.js';
import type { VaultConnection } from '../vault/vault-client.js';
import { VAULT_CONNECTION, VaultModule } from '../vault/vault.module.js';
import { VaultSecretStore } from './store/vault-secret-store.js';
import { CryptoModule } from '../crypto/crypto.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { PoliciesModule } from '../policies/policies.module.js';

/**
 * `max_versions` set on every key: SECRET_VERSIONS_RETAINED counts readable versions, Vault counts
 * every version (pending, destroyed and rolled-back ones too), hence two more; never below
 * Vault's default of 10, so setting it per key never makes Vault keep fewer than it would anyway.
 */
export function vaultMaxVersions(versionsRetained: number): number {
  return Math.max(10, versionsRetained + 2);
}

/** The Vault secret store when USE_VAULT=true (the connection exists), else null. */
const VAULT_STORE = Symbol('VAULT_STORE');

@Module({
  imports: [VaultModule, CryptoModule, TasksModule, MetricsModule, JobsModule, PoliciesModule],
  controllers: [SecretsController, KeysController],
  providers: [
    LocalSecretStore,
    {
      provide: VAULT_STORE,
      inject: [AppConfig, VAULT_CONNECTION],
      useFactory: (config: AppConfig, connection: VaultConnection | null) =>
        connection
          ? new VaultSecretStore(connection, {
              kvMount: config.vault.kvMount,
              pathPrefix: config.vault.pathPrefix,
              maxVersions: vaultMaxVersions(config.secrets.versionsRetained),
            })
          : null,
    },
    {
      provide: SecretStores,
      inject: [LocalSecretStore, AppConfig, VAULT_STORE],
      useFactory: (local: LocalSecretStore, config: AppConfig, vault: SecretStore | null) => new SecretStores(local, config, vault),
    },
    { provide: SecretStore, inject: [SecretStores], useFactory: (stores: SecretStores) => stores.default },
    SecretsRepository,
    RotatorRulesSlot,
    SecretRestore,
    SecretVersions,
    SecretConsumers,
    SecretsService,
    SecretsMaintenance,
    PreviousVersionRetirement,
    CleanupOldSecretVersionsJob,
    KeyRewrapService,
    KeyRewrapTaskHandler,
    KeyCheck,
  ],
  exports: [RotatorRulesSlot, SecretRestore, KeyCheck, SecretsService, SecretsRepository, SecretsMaintenance, SecretVersions, SecretConsumers, SecretStores, SecretStore],
})
export class SecretsModule {}
