/**
 * `npm run backup:restore -- FILE --identity KEYFILE [--public-key KEY]`: restores a backup
 * bundle into the (empty) database of DATABASE_URL, migrated first, re-encrypting every value
 * under this deployment's LOCAL_ENCRYPTION_KEY. Exit status: 0 restored, 1 refused or failed,
 * 2 usage error, 78 configuration error.
 */
import 'reflect-metadata';
import { ConfigError, loadRuntimeKeys, parseConfig, readProcessEnv } from '../../config/index.js';
import { BundleError } from '../backup-format.js';
import { openRestoreContext } from '../../composition/restore-context.js';
import { fail, identitiesOption, parseCommandLine, publicKeyOption, usageError } from './cli-support.js';

const TOOL = 'backup:restore';

const USAGE = `usage: npm run backup:restore -- FILE --identity KEYFILE [--public-key KEY]
       (in the image: node dist/src/backups/cli/backup-restore.cli.js FILE --identity KEYFILE)

Restores a backup bundle into the database of DATABASE_URL (or the embedded one in DATA_DIR),
which is migrated first and must hold no secret. The bundle's checksum and signature are checked
first; each value is decrypted with the age identity, re-encrypted under LOCAL_ENCRYPTION_KEY
through the normal write path, read back and checked against its fingerprint. All or nothing:
one transaction. Secrets of the Vault store need USE_VAULT and the Vault settings.

  FILE              a bundle from BACKUP_DIR
  --identity KEYFILE an age identity file (as age-keygen writes it) for one of BACKUP_RECIPIENTS
  --public-key KEY  the audit public key the bundle must be signed by (file, PEM or base64)

exit code: 0 restored, 1 refused or failed, 2 usage error, 78 configuration error`;

async function main(): Promise<void> {
  const parsed = parseCommandLine(TOOL, USAGE, { identity: { type: 'string', short: 'i' }, 'public-key': { type: 'string' } });
  if (parsed.positionals.length !== 1 || !parsed.values.identity) usageError(TOOL, USAGE, 'FILE and --identity KEYFILE are required');
  const identities = identitiesOption(TOOL, parsed.values.identity);
  let trusted;
  try {
    trusted = publicKeyOption(parsed.values['public-key']);
  } catch (e) {
    fail(TOOL, (e as Error).message, 2);
  }
  // Jobs and task workers off: nothing but the restore writes while it runs.
  const config = parseConfig({ ...readProcessEnv(), JOBS_ENABLED: 'false', TASK_WORKER_ENABLED: 'false' });
  const keys = loadRuntimeKeys(config);
  const ctx = await openRestoreContext(config, keys);
  try {
    const r = await ctx.restorer.restore(parsed.positionals[0]!, identities, trusted);
    process.stdout.write(
      `restored ${r.id}: ${r.secrets} secrets, ${r.versions} versions (${r.values} values, ${r.destroyed} destroyed); ` +
        'every value decrypts and matches its fingerprint\n',
    );
  } finally {
    await ctx.close();
  }
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) fail(TOOL, `configuration error: ${e.message}`, 78);
  if (e instanceof BundleError) fail(TOOL, `refused: ${e.message}`, 1);
  fail(TOOL, `failed: ${(e as Error).message}`, 1);
});
