/**
 * `npm run backup:drill -- --identity KEYFILE [FILE]`: the regular restore test. Restores the
 * newest bundle of BACKUP_DIR (or FILE) into a scratch database beside the live one, checks every
 * value and compares the result and the audit head with the live database, drops the scratch
 * database, and prints one verdict line. Exit status: 0 passed, 1 failed, 2 usage error,
 * 78 configuration error.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadRuntimeKeys, readProcessEnv } from '../../config/index.js';
import { BundleError, parseIdentityFile } from '../backup-format.js';
import { openRestoreContext } from '../../composition/restore-context.js';
import { DrillFailure, restoreDrill } from '../restore-drill.js';
import { fail } from './cli-support.js';

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
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean', short: 'h' }, identity: { type: 'string', short: 'i' } } });
  } catch (e) {
    process.stderr.write(`backup:drill: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (parsed.positionals.length > 1 || !parsed.values.identity) {
    process.stderr.write(`backup:drill: --identity KEYFILE is required, and at most one FILE\n${USAGE}\n`);
    process.exit(2);
  }
  let identities: string[];
  try {
    identities = parseIdentityFile(readFileSync(parsed.values.identity, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail('backup:drill', `--identity: ${code ? `cannot read ${parsed.values.identity} (${code})` : (e as Error).message}`, 2);
  }
  const verdict = await restoreDrill({ env: readProcessEnv(), keys: loadRuntimeKeys, openContext: openRestoreContext, identities, bundle: parsed.positionals[0] });
  process.stdout.write(`${verdict}\n`);
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) fail('backup:drill', `configuration error: ${e.message}`, 78);
  if (e instanceof DrillFailure || e instanceof BundleError) fail('backup:drill', `restore drill FAILED: ${e.message}`, 1);
  fail('backup:drill', `restore drill FAILED: ${(e as Error).message}`, 1);
});
