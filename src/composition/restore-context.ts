import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module.js';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import type { AppConfig, RuntimeKeys } from '../config/index.js';
import { CryptoModule } from '../crypto/crypto.module.js';
import { checkDatabase } from '../database/database-preflight.js';
import { startEmbeddedPostgres } from '../database/embedded-postgres.js';
import { runMigrations } from '../database/migrate.js';
import { KeyCheck } from '../secrets/key-check.js';
import { SecretsModule } from '../secrets/secrets.module.js';
import { BackupRestorer, type RestoreReport } from '../backups/backup-restorer.js';

@Module({})
class RestoreModule {
  static forRoot(app: DynamicModule): DynamicModule {
    return { module: RestoreModule, imports: [app, SecretsModule, CryptoModule], providers: [BackupRestorer] };
  }
}

export interface RestoreContext {
  restorer: { restore: BackupRestorer['restore'] };
  close(): Promise<void>;
}

/**
 * The restore command's composition root (src/backups/cli/backup-restore.cli.ts).
 * The service's own modules without HTTP, jobs or task workers, on the target database (migrated,
 * key-checked): the restore writes through exactly the code the service uses. The caller switches
 * jobs and task workers off in `config`, so nothing else writes meanwhile.
 */
export async function openRestoreContext(config: AppConfig, keys: RuntimeKeys): Promise<RestoreContext> {
  const embedded = config.database.url ? undefined : await startEmbeddedPostgres(config.dataDir, config.database.poolSize + 4);
  const databaseUrl = config.database.url ?? embedded!.url;
  if (config.database.url) await checkDatabase(config.database.url);
  let app;
  try {
    app = await NestFactory.createApplicationContext(RestoreModule.forRoot(AppModule.forRoot({ config, keys, databaseUrl })), {
      logger: false,
      abortOnError: false,
    });
    const ds = app.get(DataSource);
    await runMigrations(ds);
    await app.get(KeyCheck).verify(ds.manager);
  } catch (e) {
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw e;
  }
  const ctx = app;
  const restorer = ctx.get(BackupRestorer);
  const audit = ctx.get(AuditLog);
  return {
    restorer: {
      async restore(path, identities, trusted, options): Promise<RestoreReport> {
        const r = await restorer.restore(path, identities, trusted, options);
        await audit.record({
          action: AuditAction.BackupRestored,
          outcome: 'success',
          actor: 'backup:restore',
          roles: ['admin'],
          details: { backup_id: r.id, secrets: r.secrets, versions: r.versions, values: r.values },
        });
        return r;
      },
    },
    async close() {
      await ctx.close();
      await embedded?.stop();
    },
  };
}
