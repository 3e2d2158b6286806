import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createStrongroomClient, type Schemas, type StrongroomClient } from '../client/index.js';
import { defaultTokenPath, tokenFromFile } from './login.js';
import { CliError, EXIT, type OutputFormat, render } from './output.js';

export interface GlobalOptions {
  addr: string;
  tokenFile?: string;
  cacert?: string;
  output: OutputFormat;
}

/** What every command gets: the typed client, the output format and a printer for stdout. */
export interface Context {
  client: StrongroomClient;
  format: OutputFormat;
  print(data: unknown, columns?: string[]): void;
  /** The id of a secret given by id (sec_…) or by exact name. */
  secretId(nameOrId: string): Promise<string>;
  /**
   * Reads the token again (refreshing a stored login that has expired), for work that outlives
   * one access token: `run --watch` calls it before every check and restart.
   */
  refreshToken(): Promise<void>;
}

/**
 * The bearer token: --token-file (a token, or a stored login), else STRONGROOM_TOKEN, else the
 * login `strongroom login` stored (refreshed when it has expired and holds a refresh token).
 */
async function readToken(o: GlobalOptions, caCert: Buffer | undefined): Promise<string> {
  if (o.tokenFile) return tokenFromFile(o.tokenFile, caCert, '--token-file');
  const token = process.env.STRONGROOM_TOKEN?.trim();
  if (token) return token;
  const stored = defaultTokenPath();
  if (existsSync(stored)) return tokenFromFile(stored, caCert, 'the stored login');
  throw new CliError(EXIT.usage, 'no token: set STRONGROOM_TOKEN, pass --token-file FILE, or run `strongroom login`');
}

/** The PEM CA of --cacert / STRONGROOM_CACERT, for the service and the OpenID issuer. */
export function readCaCert(o: { cacert?: string }): Buffer | undefined {
  if (!o.cacert) return undefined;
  try {
    return readFileSync(o.cacert);
  } catch (e) {
    throw new CliError(EXIT.usage, `cannot read CA file ${o.cacert}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export async function createContext(command: Command): Promise<Context> {
  const o = command.optsWithGlobals<GlobalOptions>();
  const caCert = readCaCert(o);
  if (!/^https?:\/\/[^/]+/.test(o.addr)) throw new CliError(EXIT.usage, `STRONGROOM_ADDR / --addr must be an http(s) URL, got "${o.addr}"`);
  let token = await readToken(o, caCert);
  const client = createStrongroomClient({ baseUrl: o.addr, token: () => token, caCert });
  return {
    client,
    async refreshToken() {
      token = await readToken(o, caCert);
    },
    format: o.output,
    print(data, columns) {
      process.stdout.write(render(o.output, data, columns));
    },
    async secretId(nameOrId) {
      if (/^sec_[A-Za-z0-9_-]{1,36}$/.test(nameOrId)) return nameOrId;
      const found = await findByName(client, nameOrId);
      if (!found) throw new CliError(EXIT.notFound, `no secret named "${nameOrId}"`);
      return found.id;
    },
  };
}

/** Exact-name lookup through the name_prefix filter (names are unique among live secrets). */
export async function findByName(client: StrongroomClient, name: string): Promise<Schemas['SecretResponseDto'] | undefined> {
  const pages = client.paginate((cursor) =>
    client.unwrap(client.api.GET('/api/v1/secrets', { params: { query: { name_prefix: name, limit: 500, cursor } } })),
  );
  for await (const s of pages) if (s.name === name) return s;
  return undefined;
}

/** A value from --value-file or standard input; never from the command line (ps would show it). */
export async function readValue(o: { valueFile?: string; valueStdin?: boolean }): Promise<string | undefined> {
  if (o.valueFile && o.valueStdin) throw new CliError(EXIT.usage, 'pass --value-file or --value-stdin, not both');
  if (o.valueFile) {
    try {
      return readFileSync(o.valueFile, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new CliError(EXIT.usage, `cannot read --value-file ${o.valueFile}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  if (o.valueStdin) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  return undefined;
}
