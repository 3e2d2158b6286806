/**
 * `npm run backup:verify -- FILE [--public-key KEY]`: checks a backup bundle's checksum and
 * signature (and, with --public-key, that the audit key signed it) without restoring anything.
 * Exit status: 0 valid, 1 invalid, 2 usage error.
 */
import { BundleError, readBundle } from '../backup-format.js';
import { fail, parseCommandLine, publicKeyOption, usageError } from './cli-support.js';

const TOOL = 'backup:verify';

const USAGE = `usage: npm run backup:verify -- FILE [--public-key KEY]
       (in the image: node dist/src/backups/cli/backup-verify.cli.js FILE [--public-key KEY])

Checks a backup bundle without restoring it: every line parses, the SHA-256 in its trailer
matches, and the Ed25519 signature (the audit signing key) is valid. No age identity is needed.

  FILE             a bundle from BACKUP_DIR (GET /api/v1/backups lists them)
  --public-key KEY the audit public key (GET /api/v1/audit/public-key): a file, PEM or base64;
                   without it the key embedded in the bundle is used (tamper-evident, but not
                   proof of origin)

exit code: 0 valid, 1 invalid, 2 usage error`;

async function main(): Promise<void> {
  const parsed = parseCommandLine(TOOL, USAGE, { 'public-key': { type: 'string' } });
  if (parsed.positionals.length !== 1) usageError(TOOL, USAGE, 'exactly one FILE is required');
  let trusted;
  try {
    trusted = publicKeyOption(parsed.values['public-key']);
  } catch (e) {
    fail(TOOL, (e as Error).message, 2);
  }
  const file = parsed.positionals[0]!;
  const { header, trailer, fileSha256 } = await readBundle(file, { trusted });
  const c = trailer.counts;
  process.stdout.write(
    `valid: ${header.id} (${header.created_at}): ${c.secrets} secrets, ${c.versions} versions, ${c.values} values; ` +
      `sha256 ${fileSha256}; signed by ${trailer.key_id}${trusted ? '' : ' (embedded key: pass --public-key to check its origin)'}\n`,
  );
}

main().catch((e: unknown) => {
  if (e instanceof BundleError) fail(TOOL, `refused: ${e.message}`, 1);
  fail(TOOL, (e as Error).message, 1);
});
