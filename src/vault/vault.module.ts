import { Module, type OnApplicationShutdown, type OnModuleInit, Inject, Optional } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { VaultSecretStore } from '../secrets/store/vault-secret-store.js';
import { readPemFile } from '../tls/tls-files.js';
import { VaultConnection, type VaultTlsSettings } from './vault-client.js';

/** The Vault secret store when USE_VAULT=true, else null (token provider: VAULT_STORE). */
export const VAULT_STORE = Symbol('VAULT_STORE');
const VAULT_CONNECTION = Symbol('VAULT_CONNECTION');

/**
 * `max_versions` set on every key: SECRET_VERSIONS_RETAINED counts readable versions, Vault counts
 * every version (pending, destroyed and rolled-back ones too), hence two more; never below
 * Vault's default of 10, so setting it per key never makes Vault keep fewer than it would anyway.
 */
export function vaultMaxVersions(versionsRetained: number): number {
  return Math.max(10, versionsRetained + 2);
}

/** VAULT_CACERT, VAULT_CLIENT_CERT/KEY, VAULT_TLS_SERVER_NAME (read once at boot; unreadable: ConfigError). */
function vaultTls(config: AppConfig): VaultTlsSettings | undefined {
  const t = config.tls;
  if (!t.vaultCaCert && !t.vaultClientCert && !t.vaultServerName) return undefined;
  return {
    ca: t.vaultCaCert ? readPemFile('VAULT_CACERT', t.vaultCaCert) : undefined,
    cert: t.vaultClientCert ? readPemFile('VAULT_CLIENT_CERT', t.vaultClientCert) : undefined,
    key: t.vaultClientKey ? readPemFile('VAULT_CLIENT_KEY', t.vaultClientKey) : undefined,
    servername: t.vaultServerName,
  };
}

class VaultLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Optional() @Inject(VAULT_CONNECTION) private readonly connection: VaultConnection | null) {}

  async onModuleInit(): Promise<void> {
    // Logs in (AppRole) and schedules token renewal; a Vault that is down now is reported by
    // /health/ready and retried on use rather than stopping the boot.
    await this.connection?.start().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection?.stop();
  }
}

@Module({
  providers: [
    {
      provide: VAULT_CONNECTION,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        config.vault.enabled
          ? new VaultConnection({
              url: config.vault.url,
              token: config.vault.token,
              roleId: config.vault.roleId,
              secretId: config.vault.secretId,
              namespace: config.vault.namespace,
              requestTimeoutMs: config.vault.requestTimeoutMs,
              tls: vaultTls(config),
            })
          : null,
    },
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
    { provide: VaultLifecycle, inject: [VAULT_CONNECTION], useFactory: (c: VaultConnection | null) => new VaultLifecycle(c) },
  ],
  exports: [VAULT_STORE],
})
export class VaultModule {}
