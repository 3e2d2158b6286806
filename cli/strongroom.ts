#!/usr/bin/env node
/**
 * `strongroom`: the command-line client of a Strongroom service (README "Command-line client").
 * Every call goes through the typed client in client/. Secret values reach stdout only from
 * `secrets get`; `strongroom run` hands them to a child's environment and nowhere else.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Schemas } from '../client/index.js';
import { type Context, createContext, type GlobalOptions, readCaCert, readValue } from './context.js';
import { login, logout } from './login.js';
import { CliError, describeError, EXIT, EXIT_CODES_HELP, envName, exitCodeOf, OUTPUT_FORMATS, render } from './output.js';
import { runCommand } from './run.js';

const SECRET_COLUMNS = ['id', 'name', 'secret_type', 'version', 'rotation_status', 'tags', 'updated_at'];

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

const collect = (v: string, previous: string[] = []) => [...previous, v];

const tagPair = (v: string, previous: string[] = []) => {
  if (!/^[^:]{1,128}:.{0,128}$/.test(v)) throw new InvalidArgumentError('a tag is key:value');
  return [...previous, v];
};

const tagsObject = (tags: string[] | undefined) =>
  tags?.length ? Object.fromEntries(tags.map((t) => [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)])) : undefined;

/** Wraps an action: builds the context from the global options; errors end the process in main(). */
function act<A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const ctx = await createContext(command);
    try {
      await fn(ctx, ...(args.slice(0, -1) as A));
    } finally {
      await ctx.client.close();
    }
  };
}

async function writeBody(res: Response, out: string | undefined): Promise<void> {
  if (!res.body) return;
  const source = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  if (out) await pipeline(source, createWriteStream(out));
  else await pipeline(source, process.stdout, { end: false });
}

export function buildProgram(): Command {
  const program = new Command('strongroom');
  program
    .description('Command-line client of a Strongroom secrets service')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addOption(new Option('--addr <url>', 'service URL').env('STRONGROOM_ADDR').default('http://127.0.0.1:8000'))
    .addOption(new Option('--token-file <path>', 'file holding the bearer token or a stored login (default: STRONGROOM_TOKEN, else the login of `strongroom login`)'))
    .addOption(new Option('--cacert <path>', 'PEM CA to trust for HTTPS').env('STRONGROOM_CACERT'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .addHelpText(
      'after',
      `
Environment:
  STRONGROOM_ADDR    service URL (default http://127.0.0.1:8000)
  STRONGROOM_TOKEN   bearer token (or --token-file; without either, the login stored by \`strongroom login\`)
  STRONGROOM_CACERT  PEM file of a CA to trust for HTTPS (the service and the OpenID issuer)
  STRONGROOM_OIDC_ISSUER, STRONGROOM_OIDC_CLIENT_ID, STRONGROOM_OIDC_AUDIENCE
                     for \`strongroom login\` (OIDC device flow)
${EXIT_CODES_HELP}`,
    );

  // ---- login / logout ----
  program
    .command('login')
    .description('sign in at an OpenID issuer with the device flow (RFC 8628); stores the token (mode 0600), never prints it')
    .addOption(new Option('--issuer <url>', 'OpenID issuer URL').env('STRONGROOM_OIDC_ISSUER'))
    .addOption(new Option('--client-id <id>', 'public client registered at the issuer for the device flow').env('STRONGROOM_OIDC_CLIENT_ID').default('strongroom-cli'))
    .addOption(new Option('--audience <uri>', 'resource / audience to request the token for (RFC 8707 resource)').env('STRONGROOM_OIDC_AUDIENCE'))
    .option('--scope <scopes>', 'scopes to request', 'openid offline_access')
    .addOption(new Option('--timeout <seconds>', 'give up waiting for approval after this long (at most the code\'s own lifetime)').argParser(positiveInt('--timeout')).default(900))
    .addHelpText(
      'after',
      `
Prints the verification URL and the code to enter there on stderr, waits for the approval, then
stores the access token (and refresh token) in --token-file, by default
$XDG_CONFIG_HOME/strongroom/token or ~/.config/strongroom/token. Later commands use it when neither
STRONGROOM_TOKEN nor --token-file is given, refreshing it when it has expired.`,
    )
    .action(async (o: { issuer?: string; clientId: string; audience?: string; scope: string; timeout: number }, command: Command) => {
      const g = command.optsWithGlobals<GlobalOptions>();
      const result = await login({ ...o, timeout: Math.min(o.timeout, 3600), tokenFile: g.tokenFile, caCert: readCaCert(g) });
      process.stdout.write(render(g.output, result));
    });
  program
    .command('logout')
    .description('delete the stored login (revoking its refresh token at the issuer when it can)')
    .action(async (_o: unknown, command: Command) => {
      const g = command.optsWithGlobals<GlobalOptions>();
      process.stdout.write(render(g.output, await logout(g.tokenFile, readCaCert(g))));
    });

  // ---- secrets ----
  const secrets = program.command('secrets').description('list, read and change secrets (values only from `get`)');
  secrets
    .command('list')
    .description('list secrets (metadata only), all pages')
    .option('--type <secret_type>', 'only this secret type')
    .option('--tag <key:value>', 'only secrets with this tag (repeatable, all must match)', tagPair)
    .option('--prefix <name>', 'only names starting with this')
    .option('--limit <n>', 'stop after n secrets', positiveInt('--limit'))
    .action(
      act(async (ctx, o: { type?: string; tag?: string[]; prefix?: string; limit?: number }) => {
        const { client } = ctx;
        const items: Schemas['SecretResponseDto'][] = [];
        const pages = client.paginate((cursor) =>
          client.unwrap(
            client.api.GET('/api/v1/secrets', {
              params: { query: { secret_type: o.type as never, tag: o.tag, name_prefix: o.prefix, limit: Math.min(o.limit ?? 500, 500), cursor } },
            }),
          ),
        );
        for await (const s of pages) {
          items.push(s);
          if (o.limit && items.length >= o.limit) break;
        }
        ctx.print(items, SECRET_COLUMNS);
      }),
    );
  secrets
    .command('get <name-or-id>')
    .description('print a secret value (the only command that does): raw with -o table, or json / dotenv')
    .option('--version <n>', 'a previous version', positiveInt('--version'))
    .option('--env <NAME>', 'variable name for -o dotenv (default: the secret name, upper-cased)')
    .action(
      act(async (ctx, nameOrId: string, o: { version?: number; env?: string }) => {
        const id = await ctx.secretId(nameOrId);
        const v = await ctx.client.unwrap(ctx.client.api.GET('/api/v1/secrets/{id}/value', { params: { path: { id }, query: { version: o.version } } }));
        if (ctx.format === 'table') process.stdout.write(v.value + '\n');
        else if (ctx.format === 'dotenv') process.stdout.write(render('dotenv', { [o.env ?? envName(v.name)]: v.value }));
        else ctx.print(v);
      }),
    );
  secrets
    .command('create <name>')
    .description('create a secret; without a value, the service generates one (for generatable types)')
    .requiredOption('--type <secret_type>', 'e.g. API_KEY, DATABASE_PASSWORD')
    .option('--value-file <path>', 'read the value from a file')
    .option('--value-stdin', 'read the value from standard input')
    .option('--tag <key:value>', 'tag (repeatable)', tagPair)
    .option('--description <text>')
    .option('--rotation-days <n>', 'rotate automatically every n days', positiveInt('--rotation-days'))
    .option('--expires-at <iso>', 'expiry timestamp')
    .action(
      act(async (ctx, name: string, o: { type: string; valueFile?: string; valueStdin?: boolean; tag?: string[]; description?: string; rotationDays?: number; expiresAt?: string }) => {
        const value = await readValue(o);
        const created = await ctx.client.unwrap(
          ctx.client.api.POST('/api/v1/secrets', {
            body: {
              name,
              secret_type: o.type as never,
              value,
              tags: tagsObject(o.tag),
              description: o.description,
              rotation_interval_days: o.rotationDays,
              expires_at: o.expiresAt,
            },
          }),
        );
        ctx.print(created);
      }),
    );
  secrets
    .command('put <name-or-id>')
    .description('store a new value as a new version')
    .option('--value-file <path>', 'read the value from a file')
    .option('--value-stdin', 'read the value from standard input')
    .option('--expected-version <n>', 'check-and-set: fail with exit 5 unless this is the current version', positiveInt('--expected-version'))
    .action(
      act(async (ctx, nameOrId: string, o: { valueFile?: string; valueStdin?: boolean; expectedVersion?: number }) => {
        const value = await readValue(o);
        if (value === undefined) throw new CliError(EXIT.usage, 'put needs --value-file FILE or --value-stdin');
        const id = await ctx.secretId(nameOrId);
        ctx.print(await ctx.client.unwrap(ctx.client.api.PUT('/api/v1/secrets/{id}/value', { params: { path: { id } }, body: { value, expected_version: o.expectedVersion } })));
      }),
    );
  secrets
    .command('rotate <name-or-id>')
    .description('rotate now: a generated value (or the rotator), or the value given')
    .option('--value-file <path>', 'read the new value from a file')
    .option('--value-stdin', 'read the new value from standard input')
    .option('--reason <text>')
    .option('--emergency', 'emergency rotation (previous version destroyed at once)')
    .option('--dry-run', 'only check that a rotation would work')
    .action(
      act(async (ctx, nameOrId: string, o: { valueFile?: string; valueStdin?: boolean; reason?: string; emergency?: boolean; dryRun?: boolean }) => {
        const value = await readValue(o);
        const id = await ctx.secretId(nameOrId);
        const result = await ctx.client.unwrap(
          ctx.client.api.POST('/api/v1/secrets/{id}/rotate', {
            params: { path: { id }, query: o.dryRun ? { dry_run: true } : {} },
            body: { value, reason: o.reason, emergency: o.emergency },
          }),
        );
        ctx.print(result);
      }),
    );
  secrets
    .command('delete <name-or-id>')
    .description('soft-delete (restorable within the retention), or --purge to destroy at once')
    .option('--purge', 'destroy now, no restore')
    .action(
      act(async (ctx, nameOrId: string, o: { purge?: boolean }) => {
        const id = await ctx.secretId(nameOrId);
        await ctx.client.unwrap(ctx.client.api.DELETE('/api/v1/secrets/{id}', { params: { path: { id }, query: o.purge ? { purge: true } : {} } }));
        ctx.print({ id, deleted: true, purged: Boolean(o.purge) });
      }),
    );
  secrets
    .command('restore <id>')
    .description('restore a soft-deleted secret (by id: a deleted secret has no live name)')
    .action(
      act(async (ctx, id: string) => {
        ctx.print(await ctx.client.unwrap(ctx.client.api.POST('/api/v1/secrets/{id}/restore', { params: { path: { id: await ctx.secretId(id) } } })));
      }),
    );
  secrets
    .command('versions <name-or-id>')
    .description('version history (no values)')
    .action(
      act(async (ctx, nameOrId: string) => {
        const id = await ctx.secretId(nameOrId);
        ctx.print(await ctx.client.unwrap(ctx.client.api.GET('/api/v1/secrets/{id}/versions', { params: { path: { id } } })), [
          'version',
          'state',
          'created_at',
          'created_by',
          'destroyed_at',
        ]);
      }),
    );

  // ---- reports ----
  const reports = program.command('reports').description('stored security and compliance reports');
  reports
    .command('list')
    .description('stored reports, newest first, all pages')
    .option('--kind <kind>', 'security, compliance, access_review or annual')
    .option('--limit <n>', 'stop after n reports', positiveInt('--limit'))
    .action(
      act(async (ctx, o: { kind?: string; limit?: number }) => {
        const { client } = ctx;
        const items: Schemas['ReportSummaryDto'][] = [];
        const pages = client.paginate((cursor) =>
          client.unwrap(client.api.GET('/api/v1/reports', { params: { query: { kind: o.kind as never, limit: Math.min(o.limit ?? 100, 100), cursor } } })),
        );
        for await (const r of pages) {
          items.push(r);
          if (o.limit && items.length >= o.limit) break;
        }
        ctx.print(items, ['id', 'kind', 'standard', 'period', 'generated_at', 'sha256']);
      }),
    );
  reports
    .command('download <id>')
    .description('download a stored report (the document itself, whatever --output says)')
    .addOption(new Option('--format <format>', 'document format').choices(['json', 'csv', 'pdf']).default('json'))
    .option('--out <path>', 'write to this file instead of stdout')
    .action(
      act(async (ctx, id: string, o: { format: string; out?: string }) => {
        if (!/^rpt_[A-Za-z0-9_-]{1,36}$/.test(id)) throw new CliError(EXIT.usage, 'a report id looks like rpt_…');
        await writeBody(await ctx.client.fetchRaw(`/api/v1/reports/${id}?format=${o.format}`), o.out);
      }),
    );

  // ---- audit ----
  const audit = program.command('audit').description('verify and export the audit log');
  audit
    .command('verify')
    .description('verify the hash chain and the newest signed checkpoint (exit 7 when broken)')
    .action(
      act(async (ctx) => {
        const result = await ctx.client.unwrap(ctx.client.api.GET('/api/v1/audit/verify'));
        ctx.print(result);
        if (!result.valid) throw new CliError(EXIT.verifyFailed, `audit chain invalid: ${result.reason ?? 'unknown reason'}`);
      }),
    );
  audit
    .command('export')
    .description('stream the audit log (JSON Lines with hashes and signed checkpoints, or CSV)')
    .addOption(new Option('--format <format>').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--from <iso>', 'events at or after')
    .option('--to <iso>', 'events before')
    .option('--out <path>', 'write to this file instead of stdout')
    .action(
      act(async (ctx, o: { format: string; from?: string; to?: string; out?: string }) => {
        const q = new URLSearchParams({ format: o.format, ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}) });
        await writeBody(await ctx.client.fetchRaw(`/api/v1/audit/export?${q}`), o.out);
      }),
    );

  // ---- tasks ----
  const tasks = program.command('tasks').description('background tasks (bulk rotation, re-wrap, reports …)');
  tasks
    .command('wait <id>')
    .description('wait for a task to end; progress on stderr; exit 0 when it completed, 1 when it failed')
    .option('--interval <ms>', 'poll interval', positiveInt('--interval'), 1000)
    .option('--timeout <seconds>', 'give up (exit 6) after this long', positiveInt('--timeout'))
    .action(
      act(async (ctx, id: string, o: { interval: number; timeout?: number }) => {
        if (!/^task_[A-Za-z0-9_-]{1,36}$/.test(id)) throw new CliError(EXIT.usage, 'a task id looks like task_…');
        let last = '';
        const final = await ctx.client.waitForTask(id, {
          intervalMs: o.interval,
          timeoutMs: o.timeout === undefined ? undefined : o.timeout * 1000,
          onProgress: (s) => {
            const { done, failed, total } = s.progress;
            const width = 30;
            const filled = total > 0 ? Math.round(((done + failed) / total) * width) : s.status === 'completed' ? width : 0;
            const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done + failed}/${total} ${s.status}${failed ? ` (${failed} failed)` : ''}`;
            if (line === last) return;
            last = line;
            process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
          },
        });
        if (process.stderr.isTTY) process.stderr.write('\n');
        ctx.print(final);
        if (final.status !== 'completed') throw new CliError(EXIT.error, `task ${id} ${final.status}`);
      }),
    );

  // ---- backup ----
  const backup = program.command('backup').description('encrypted, signed backup bundles (written to the server\'s BACKUP_DIR)');
  backup
    .command('create')
    .description('write a backup bundle now (admin)')
    .action(act(async (ctx) => ctx.print(await ctx.client.unwrap(ctx.client.api.POST('/api/v1/backups')))));
  backup
    .command('list')
    .description('bundles in BACKUP_DIR, newest first')
    .action(
      act(async (ctx) => {
        const list = await ctx.client.unwrap(ctx.client.api.GET('/api/v1/backups'));
        ctx.print(list.items, ['id', 'created_at', 'file', 'size', 'counts', 'sha256']);
      }),
    );
  backup
    .command('verify <file>')
    .description('check a bundle file against the service\'s record of it (name, size, SHA-256); exit 7 on mismatch')
    .action(
      act(async (ctx, file: string) => {
        const list = await ctx.client.unwrap(ctx.client.api.GET('/api/v1/backups'));
        const entry = list.items.find((b) => b.file === basename(file));
        if (!entry) throw new CliError(EXIT.notFound, `the service lists no backup named ${basename(file)}`);
        const hash = createHash('sha256');
        let size = 0;
        try {
          for await (const chunk of createReadStream(file)) {
            hash.update(chunk as Buffer);
            size += (chunk as Buffer).length;
          }
        } catch (e) {
          throw new CliError(EXIT.usage, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
        }
        const sha256 = hash.digest('hex');
        const valid = sha256 === entry.sha256 && size === entry.size;
        ctx.print({ file: entry.file, id: entry.id, valid, sha256, expected_sha256: entry.sha256, size, expected_size: entry.size });
        if (!valid) throw new CliError(EXIT.verifyFailed, `${file} does not match the service's record of ${entry.file}`);
      }),
    );

  // ---- run ----
  program
    .command('run')
    .description('start a command with secret values in its environment only; forwards signals and exit code')
    .usage('--secret NAME=ENV_VAR ... [--tag key:value] [--watch] -- COMMAND [ARGS...]')
    .option('--secret <NAME=ENV_VAR>', 'a secret (by name or id) and the variable to put it in (repeatable)', collect)
    .option('--tag <key:value>', 'also every secret with this tag, as its upper-cased name (repeatable, all must match)', tagPair)
    .option('--watch', 'restart the command (or signal it, --signal) when one of its secrets is rotated')
    .option('--interval <seconds>', 'how often --watch checks current versions', positiveInt('--interval'), 30)
    .option('--signal <SIGNAL>', 'with --watch: send this signal instead of restarting (e.g. SIGHUP)')
    .option('--grace <seconds>', 'with --watch: how long a restart waits after SIGTERM before SIGKILL', positiveInt('--grace'), 10)
    .argument('<command...>', 'the command and its arguments (after --)')
    .action(
      act(async (ctx, argv: string[], o: { secret?: string[]; tag?: string[]; watch?: boolean; interval: number; signal?: string; grace: number }) => {
        const code = await runCommand(ctx, argv, o);
        process.exitCode = code;
      }),
    );

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with 0; a usage error has printed its message already.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`strongroom: ${describeError(e)}\n`);
    return exitCodeOf(e);
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
