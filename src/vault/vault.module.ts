import { Module, type OnApplicationShutdown, type OnModuleInit, Inject, Optional } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { readPemFile } from '../tls/tls-files.js';
import { VaultConnection, type VaultTlsSettings } from './vault-client.js';

/**
 * The Vault connection when USE_VAULT=true, else null. The secrets feature builds its Vault store
 * on it; health and metrics ask it whether Vault answers. This module knows no feature.
 */
export const VAULT_CONNECTION = Symbol('VAULT_CONNECTION');

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
    { provide: VaultLifecycle, inject: [VAULT_CONNECTION], useFactory: (c: VaultConnection | null) => new VaultLifecycle(c) },
  ],
  exports: [VAULT_CONNECTION],
})
export class VaultModule {}
