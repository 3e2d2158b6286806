import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Context } from './context.js';
import { CliError, describeError, envName, EXIT } from './output.js';

interface Binding {
  id: string;
  name: string;
  env: string;
  version: number;
}

export interface RunOptions {
  secret?: string[];
  tag?: string[];
  watch?: boolean;
  interval: number;
  signal?: string;
  grace: number;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Variables that change how the command (or its loader, shell or runtime) behaves rather than
 * what it reads. A name *derived* from a secret's name (`--tag`, or `--secret NAME` without
 * `=ENV`) may not be one of them: whoever names a secret must not thereby set LD_PRELOAD or
 * NODE_OPTIONS for every command started with it. Mapping one explicitly (`--secret s=PATH`) is
 * the caller's own choice and is allowed.
 */
const CONTROLLING = /^(LD_.*|DYLD_.*|PATH|HOME|SHELL|IFS|ENV|BASH_ENV|CDPATH|PS4|NODE_OPTIONS|NODE_PATH|NODE_EXTRA_CA_CERTS|NODE_TLS_REJECT_UNAUTHORIZED|PYTHONPATH|PYTHONSTARTUP|PYTHONHOME|PERL5OPT|PERL5LIB|RUBYOPT|RUBYLIB|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|GCONV_PATH|SSL_CERT_FILE|SSL_CERT_DIR|STRONGROOM_.*)$/;

function derivedEnv(secretName: string, how: string): string {
  const env = envName(secretName);
  if (CONTROLLING.test(env)) {
    throw new CliError(
      EXIT.usage,
      `${how}: secret "${secretName}" would set ${env}, which controls how the command runs; map it explicitly with --secret ${secretName}=${env} if that is meant`,
    );
  }
  return env;
}

const note = (msg: string) => process.stderr.write(`strongroom run: ${msg}\n`);

async function bindings(ctx: Context, o: RunOptions): Promise<Binding[]> {
  const out: Binding[] = [];
  for (const spec of o.secret ?? []) {
    const eq = spec.lastIndexOf('=');
    const [name, env] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [spec, derivedEnv(spec, `--secret ${spec}`)];
    if (!ENV_NAME.test(env)) throw new CliError(EXIT.usage, `--secret ${spec}: "${env}" is not a valid environment variable name`);
    out.push({ id: await ctx.secretId(name), name, env, version: 0 });
  }
  if (o.tag?.length) {
    const { client } = ctx;
    const pages = client.paginate((cursor) => client.unwrap(client.api.GET('/api/v1/secrets', { params: { query: { tag: o.tag, limit: 500, cursor } } })));
    for await (const s of pages) if (!out.some((b) => b.id === s.id)) out.push({ id: s.id, name: s.name, env: derivedEnv(s.name, `--tag ${o.tag.join(',')}`), version: 0 });
  }
  if (out.length === 0) throw new CliError(EXIT.usage, 'run needs at least one --secret NAME=ENV_VAR or a --tag matching a secret');
  return out;
}

/** Reads every value (in memory only) and records the version it came from. */
async function readValues(ctx: Context, bound: Binding[]): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const b of bound) {
    const v = await ctx.client.unwrap(ctx.client.api.GET('/api/v1/secrets/{id}/value', { params: { path: { id: b.id } } }));
    env[b.env] = v.value;
    b.version = v.version;
  }
  return env;
}

const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null) => code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);

/**
 * Runs argv with the secrets in its environment; resolves to the exit code to end with (the
 * child's, or 128+N for a signal). The values live in this process's memory and the child's
 * environment, never on disk or in our output; the CLI's own token is not passed on.
 */
export async function runCommand(ctx: Context, argv: string[], o: RunOptions): Promise<number> {
  if (argv.length === 0) throw new CliError(EXIT.usage, 'run needs a command after --');
  if (o.signal && !(o.signal in constants.signals)) throw new CliError(EXIT.usage, `--signal ${o.signal} is not a signal name (e.g. SIGHUP)`);
  const bound = await bindings(ctx, o);
  const baseEnv = { ...process.env };
  delete baseEnv.STRONGROOM_TOKEN;

  let child: ChildProcess;
  let restarting = false;
  let stopped = false;
  /** A terminating signal (INT, TERM, QUIT) came while restarting. */
  let stopSignal = false;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const start = async () => {
    const values = await readValues(ctx, bound);
    const started = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', env: { ...baseEnv, ...values } });
    child = started;
    started.on('error', (e: NodeJS.ErrnoException) => {
      note(`cannot start ${argv[0]}: ${e.code ?? e.message}`);
      stopped = true;
      finish(e.code === 'ENOENT' ? 127 : 126);
    });
    started.on('exit', (code, signal) => {
      // A restart stops the old child on purpose; only an exit we did not cause ends the run.
      if (restarting) return;
      stopped = true;
      finish(exitCodeOf(code, signal));
    });
  };

  const forward = (sig: NodeJS.Signals) => () => {
    // A signal that arrives during a restart is meant for the command as a whole: no new child
    // is started after the old one ends (the run ends with the old one's exit).
    if (restarting && sig !== 'SIGHUP' && sig !== 'SIGUSR1' && sig !== 'SIGUSR2') stopSignal = true;
    if (child && child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  const handlers = FORWARDED.map((sig) => [sig, forward(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);

  const restart = async (reason: string) => {
    restarting = true;
    const old = child;
    note(`${reason}; restarting`);
    const exited = new Promise<void>((r) => (old.exitCode !== null || old.signalCode !== null ? r() : old.once('exit', () => r())));
    old.kill('SIGTERM');
    const kill = setTimeout(() => old.kill('SIGKILL'), o.grace * 1000);
    await exited;
    clearTimeout(kill);
    if (stopSignal && !stopped) {
      stopped = true;
      finish(exitCodeOf(old.exitCode, old.signalCode));
    }
    if (stopped) return;
    await start();
    restarting = false;
  };

  let timer: NodeJS.Timeout | undefined;
  const watch = async () => {
    try {
      // A stored login's access token expires long before a watched command does: refresh it.
      await ctx.refreshToken();
      const rotated: { b: Binding; version: number }[] = [];
      for (const b of bound) {
        const s = await ctx.client.unwrap(ctx.client.api.GET('/api/v1/secrets/{id}', { params: { path: { id: b.id } } }));
        if (s.version !== b.version) rotated.push({ b, version: s.version });
      }
      if (rotated.length && !stopped) {
        const what = rotated.map(({ b, version }) => `${b.name} v${b.version} -> v${version}`).join(', ');
        if (o.signal) {
          // The command re-reads its secrets itself; its environment keeps the values it started with.
          note(`${what}; sending ${o.signal}`);
          for (const { b, version } of rotated) b.version = version;
          child.kill(o.signal as NodeJS.Signals);
        } else {
          await restart(what);
        }
      }
    } catch (e) {
      // The command keeps running on what it has; the next check tries again.
      note(`cannot check for rotations: ${describeError(e)}`);
      if (restarting && !stopped) {
        stopped = true;
        finish(EXIT.unavailable);
        return;
      }
    }
    if (!stopped) timer = setTimeout(() => void watch(), o.interval * 1000);
  };

  await start();
  if (o.watch) timer = setTimeout(() => void watch(), o.interval * 1000);
  const code = await finished;
  if (timer) clearTimeout(timer);
  for (const [sig, h] of handlers) process.off(sig, h);
  return code;
}
