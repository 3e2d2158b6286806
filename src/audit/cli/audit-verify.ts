import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { parsePublicKey } from '../checkpoint-signature.js';
import { type ExportVerdict, verifyExportLines } from '../export-verifier.js';

export const USAGE = `usage: npm run audit:verify -- FILE --public-key KEY [--allow-partial] [--json]
       (in the image: node dist/src/audit/cli/audit-verify.cli.js FILE --public-key KEY ...)

  FILE             a JSON Lines export from GET /api/v1/audit/export (- for stdin)
  --public-key KEY the Ed25519 public key from GET /api/v1/audit/public-key: a PEM file path,
                   or the PEM text, or its base64
  --allow-partial  the export covers a from/to range: check its rows and checkpoints only
  --json           print the verdict as JSON

exit code: 0 valid, 1 invalid, 2 usage error`;

export const EXIT = { valid: 0, invalid: 1, usage: 2 } as const;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  stdin?: NodeJS.ReadableStream;
}

interface Args {
  file: string;
  key: string;
  allowPartial: boolean;
  json: boolean;
}

function parseArgs(argv: string[]): Args | string {
  let file: string | undefined;
  let key: string | undefined;
  let allowPartial = false;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--public-key' || a.startsWith('--public-key=')) {
      key = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!key) return '--public-key needs a value';
    } else if (a === '--allow-partial') allowPartial = true;
    else if (a === '--json') json = true;
    else if (a === '--help' || a === '-h') return '';
    else if (a.startsWith('--')) return `unknown option ${a}`;
    else if (file === undefined) file = a;
    else return `unexpected argument ${a}`;
  }
  if (!file) return 'FILE is required';
  if (!key) return '--public-key is required';
  return { file, key, allowPartial, json };
}

function readKeyText(key: string): string {
  try {
    if (existsSync(key) && statSync(key).isFile()) return readFileSync(key, 'utf8');
  } catch {
    /* not a path */
  }
  return key;
}

export function describeVerdict(v: ExportVerdict): string {
  if (v.valid) {
    return `VALID: ${v.checked} rows chain correctly; ${v.checkpoints_checked} signed checkpoint(s) match` +
      (v.last_checkpoint_seq ? ` (newest covers seq ${v.last_checkpoint_seq})` : '') +
      (v.partial ? '; partial export: only its own rows were checked' : '');
  }
  return `INVALID: ${v.first_invalid_id ? `first bad row: seq ${v.first_invalid_id}` : 'the export'}: ${v.reason} (${v.checked} rows checked good before it)`;
}

/**
 * The lines of a JSON Lines stream, split on \n only (a trailing \r dropped). Not readline: since
 * Node 24 it also breaks lines at U+2028 and U+2029, which JSON.stringify leaves unescaped inside
 * strings (a user agent may carry one), so a valid row would read as two broken ones.
 */
async function* jsonLines(input: NodeJS.ReadableStream): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8'); // a character split across two chunks stays whole
  let rest = '';
  for await (const chunk of input) {
    const parts = (rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer))).split('\n');
    rest = parts.pop()!;
    for (const line of parts) yield line.endsWith('\r') ? line.slice(0, -1) : line;
  }
  rest += decoder.end();
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/** The offline verifier; returns the exit code. */
export async function runAuditVerify(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    if (!args) {
      io.out(USAGE); // --help: usage on stdout, exit 0
      return EXIT.valid;
    }
    io.err(`audit:verify: ${args}`);
    io.err(USAGE);
    return EXIT.usage;
  }
  let publicKey;
  try {
    publicKey = parsePublicKey(readKeyText(args.key));
  } catch (e) {
    io.err(`audit:verify: --public-key is not an Ed25519 public key (${(e as Error).message})`);
    return EXIT.usage;
  }
  let input: NodeJS.ReadableStream;
  if (args.file === '-') {
    input = io.stdin ?? process.stdin;
  } else {
    if (!existsSync(args.file) || !statSync(args.file).isFile()) {
      io.err(`audit:verify: ${args.file}: no such file`);
      return EXIT.usage;
    }
    input = createReadStream(args.file, { encoding: 'utf8' });
  }
  let verdict: ExportVerdict;
  try {
    verdict = await verifyExportLines(jsonLines(input), publicKey, { allowPartial: args.allowPartial });
  } catch (e) {
    io.err(`audit:verify: cannot read ${args.file}: ${(e as Error).message}`);
    return EXIT.usage;
  }
  io.out(args.json ? JSON.stringify(verdict) : describeVerdict(verdict));
  return verdict.valid ? EXIT.valid : EXIT.invalid;
}
