/**
 * `npm run backup:drill -- --identity KEYFILE [FILE]`: the regular restore test. Restores the
 * newest bundle of BACKUP_DIR (or FILE) into a scratch database beside the live one, checks every
 * value and compares the result and the audit head with the live database, drops the scratch
 * database, and prints one verdict line. Exit status: 0 passed, 1 failed, 2 usage error,
 * 78 configuration error.
 */
import 'reflect-metadata';
import { ConfigError, loadRuntimeKeys, readProcessEnv } from '../../config/index.js';
import { BundleError } from '../backup-format.js';
import { openRestoreContext } from '../../composition/restore-context.js';
import { DrillFailure, restoreDrill } from '../restore-drill.js';
import { fail, identitiesOption, parseCommandLine, usageError } from './cli-support.js';

const TOOL = 'backup:drill';

const USAGE = `usage: npm run backup:drill -- --identity KEYFILE [FILE]
       (in the image: node dist/src/backups/cli/backup-drill.cli.js --identity KEYFILE [FILE])

The regular restore test, run with the deployment's own environment (DATABASE_URL of the live
database, LOCAL_ENCRYPTION_KEY, the audit signing key, BACKUP_DIR). It restores the newest bundle
in BACKUP_DIR (or FILE) into a scratch database created beside the live one (the database user
needs CREATEDB), where every value must decrypt and match its fingerprint; compares every restored
version with the live database (fingerprint, name, type) and the bundle's audit head with the live
chain; drops the scratch database; and prints one line. Vault-stored secrets are restored into the
scratch database's local store: the drill never writes to a Vault.

  --identity KEYFILE an age identity file (as age-keygen writes it) for one of BACKUP_RECIPIENTS
  FILE               a bundle to drill instead of the newest

exit code: 0 passed, 1 failed, 2 usage error, 78 configuration error`;

async function main(): Promise<void> {
  const parsed = parseCommandLine(TOOL, USAGE, { identity: { type: 'string', short: 'i' } });
  if (parsed.positionals.length > 1 || !parsed.values.identity) usageError(TOOL, USAGE, '--identity KEYFILE is required, and at most one FILE');
  const identities = identitiesOption(TOOL, parsed.values.identity);
  const verdict = await restoreDrill({ env: readProcessEnv(), keys: loadRuntimeKeys, openContext: openRestoreContext, identities, bundle: parsed.positionals[0] });
  process.stdout.write(`${verdict}\n`);
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) fail(TOOL, `configuration error: ${e.message}`, 78);
  if (e instanceof DrillFailure || e instanceof BundleError) fail(TOOL, `restore drill FAILED: ${e.message}`, 1);
  fail(TOOL, `restore drill FAILED: ${(e as Error).message}`, 1);
});
