/**
 * `npm run report:verify -- FILE [--public-key KEY]` checks a downloaded JSON report, or the JSON
 * attached to a downloaded PDF: the SHA-256 and the Ed25519 signature over its canonical JSON, and
 * that the key id matches the key.
 *
 * KEY is a file or the key itself: PEM (public, or the private signing key), base64 of the SPKI
 * DER, or the raw 32-byte key (base64/hex); GET /api/v1/audit/public-key serves it. Without
 * --public-key the configured AUDIT_SIGNING_KEY is used.
 *
 * Exit status: 0 valid, 1 invalid (tampered, wrong key, not a signed report), 2 usage error.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig, readProcessEnv } from '../../config/index.js';
import { attachedReportJson } from '../render/pdf-attachment.js';
import { parsePublicKey, verifyReport } from '../report-integrity.js';

const USAGE = `usage: npm run report:verify -- FILE [--public-key KEY]
       (in the image: node dist/src/reports/cli/report-verify.cli.js FILE [--public-key KEY])

  FILE             a report downloaded with format=json, or format=pdf (its attached report.json)
  --public-key KEY the Ed25519 public key (GET /api/v1/audit/public-key): a file, PEM, or its
                   base64/hex; without it the configured AUDIT_SIGNING_KEY is used

exit code: 0 valid, 1 invalid, 2 usage error`;

function usage(message: string): never {
  process.stderr.write(`report:verify: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function publicKey(option: string | undefined): KeyObject {
  let text: string;
  if (option !== undefined) {
    text = existsSync(option) ? readFileSync(option, 'utf8') : option;
  } else {
    let configured: string | undefined;
    try {
      configured = parseConfig(readProcessEnv()).audit.signingKey;
    } catch (e) {
      if (e instanceof ConfigError) usage(e.message);
      throw e;
    }
    if (!configured) usage('no key: pass --public-key (GET /api/v1/audit/public-key serves it) or set AUDIT_SIGNING_KEY');
    text = configured;
  }
  try {
    return parsePublicKey(text);
  } catch (e) {
    return usage(`--public-key is not a usable Ed25519 key: ${(e as Error).message}`);
  }
}

function main(): void {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { 'public-key': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    usage((e as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (parsed.positionals.length !== 1) usage('give exactly one report file');
  const file = parsed.positionals[0]!;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    usage(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const isPdf = bytes.subarray(0, 5).toString('latin1') === '%PDF-';
  const raw = isPdf ? attachedReportJson(bytes) : bytes.toString('utf8');
  if (raw === undefined) {
    process.stdout.write(`INVALID ${file}: a PDF without an attached signed report (report.json)\n`);
    process.exit(1);
  }
  const key = publicKey(parsed.values['public-key']);

  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    process.stdout.write(`INVALID ${file}: not JSON (download the report with format=json)\n`);
    process.exit(1);
  }
  const result = verifyReport(doc, key);
  if (result.valid) {
    process.stdout.write(`VALID ${file}${isPdf ? ' (attached report.json)' : ''}: ${result.kind} report ${result.report_id}, sha256 ${result.sha256}, signed by ${result.key_id}\n`);
    process.exit(0);
  }
  process.stdout.write(`INVALID ${file}: ${result.kind ?? 'unknown'} report ${result.report_id ?? '?'}\n`);
  for (const problem of result.problems) process.stdout.write(`  - ${problem}\n`);
  process.exit(1);
}

main();
