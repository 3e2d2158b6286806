import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createStrongroomClient, type Schemas, type StrongroomClient } from '../client/index.js';
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
}

function readToken(o: GlobalOptions): string {
  if (o.tokenFile) {
    let token: string;
    try {
      token = readFileSync(o.tokenFile, 'utf8').trim();
    } catch (e) {
      throw new CliError(EXIT.usage, `cannot read --token-file ${o.tokenFile}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (!token) throw new CliError(EXIT.usage, `--token-file ${o.tokenFile} is empty`);
    return token;
  }
  const token = process.env.STRONGROOM_TOKEN?.trim();
  if (!token) throw new CliError(EXIT.usage, 'no token: set STRONGROOM_TOKEN or pass --token-file FILE');
  return token;
}

export function createContext(command: Command): Context {
  const o = command.optsWithGlobals<GlobalOptions>();
  let caCert: Buffer | undefined;
  if (o.cacert) {
    try {
      caCert = readFileSync(o.cacert);
    } catch (e) {
      throw new CliError(EXIT.usage, `cannot read CA file ${o.cacert}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  if (!/^https?:\/\/[^/]+/.test(o.addr)) throw new CliError(EXIT.usage, `STRONGROOM_ADDR / --addr must be an http(s) URL, got "${o.addr}"`);
  const client = createStrongroomClient({ baseUrl: o.addr, token: readToken(o), caCert });
  return {
    client,
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
