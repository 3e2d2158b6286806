import { createPublicKey, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { type Queryable, rowHash } from '../audit/audit-rows.js';
import { privateKeyFromPem } from '../audit/checkpoint-signature.js';
import { type AppConfig, ConfigError, parseConfig, type RuntimeKeys } from '../config/index.js';
import type { Env } from '../config/env-parsers.js';
import { pgTarget } from '../database/database-tls.js';
import { BundleError, readBundle } from './backup-format.js';
import type { BackupRestorer } from './backup-restorer.js';

/** What the drill found wrong: the verdict line says it and the exit status is 1. */
export class DrillFailure extends Error {}

const BUNDLE_FILE = /^bk_\d{8}T\d{9}Z_[0-9a-f]{8}\.jsonl$/;

export interface DrillOptions {
  /** The deployment's environment: DATABASE_URL (the live database), keys, BACKUP_DIR. */
  env: Env;
  keys: (config: AppConfig) => RuntimeKeys;
  /** The service's modules on the scratch database (the CLI, a composition root, passes openRestoreContext). */
  openContext: (config: AppConfig, keys: RuntimeKeys) => Promise<{ restorer: { restore: BackupRestorer['restore'] }; close(): Promise<void> }>;
  identities: string[];
  /** A bundle to drill; the newest in BACKUP_DIR otherwise. */
  bundle?: string;
}

interface VersionRow {
  secret_id: string;
  version: number;
  name: string;
  secret_type: string;
  state: string;
  fingerprint: string;
  fingerprint_key_id: string;
}

const VERSIONS = `SELECT v.secret_id, v.version, s.name, s.secret_type, v.state, v.fingerprint, v.fingerprint_key_id
  FROM secret_versions v JOIN secrets s ON s.id = v.secret_id`;

/**
 * The regular restore test (deploy/README.md): restores the newest bundle into a scratch database
 * created beside the live one, where the restore itself checks that every value decrypts and
 * matches its fingerprint; then compares the scratch database with the live one (every restored
 * version's fingerprint, name and type against the live row, where the live row still exists
 * under the same fingerprint key) and the bundle's audit head with the live chain's row of that
 * seq. The scratch database is dropped whatever happens. Returns the verdict line.
 */
export async function restoreDrill(options: DrillOptions): Promise<string> {
  // Jobs and task workers off: the drill's application context only restores.
  const live = parseConfig({ ...options.env, JOBS_ENABLED: 'false', TASK_WORKER_ENABLED: 'false' });
  if (!live.database.url) throw new ConfigError('the restore drill needs DATABASE_URL: the live PostgreSQL database it creates the scratch one beside and compares with');
  const keys = options.keys(live);
  const trusted = createPublicKey(privateKeyFromPem(keys.auditSigningKeyPem));
  const bundle = options.bundle ?? (await newestBundle(live.backups.dir));
  // Checksum and the signature of this deployment's audit key, before anything is created.
  const { header } = await readBundle(bundle, { trusted });

  const liveTarget = pgTarget(live.database.url, live.tls.databaseCaFile);
  const client = (url: string) => new pg.Client({ connectionString: url, ...(liveTarget.ssl === undefined ? {} : { ssl: liveTarget.ssl }), application_name: 'strongroom-drill' });
  const liveUrl = new URL(liveTarget.url);
  const scratchName = `${liveUrl.pathname.slice(1).slice(0, 40)}_drill_${randomBytes(4).toString('hex')}`.replace(/[^a-zA-Z0-9_]/g, '_');
  const scratchUrl = new URL(live.database.url);
  scratchUrl.pathname = `/${scratchName}`;

  const admin = client(liveTarget.url);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${scratchName}"`);
    try {
      const report = await restoreInto(options, scratchUrl.toString(), bundle, trusted);
      const compared = await compare(client(liveTarget.url), client(pgTarget(scratchUrl.toString(), live.tls.databaseCaFile).url));
      const audit = await auditHeadMatches(admin, header.audit.head);
      return (
        `restore drill passed: ${report.id} (${header.created_at}) restored into a scratch database: ${report.secrets} secrets, ` +
        `${report.versions} versions (${report.values} values, ${report.destroyed} destroyed); every value decrypts and matches its fingerprint; ` +
        `${compared.matched} versions match the live database (${compared.gone} gone since, ${compared.rekeyed} under another fingerprint key); ${audit}`
      );
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${scratchName}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

async function newestBundle(dir: string): Promise<string> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new DrillFailure(`cannot read BACKUP_DIR ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // Ids begin with their creation time: the last in order is the newest.
  const newest = names.filter((n) => BUNDLE_FILE.test(n)).sort().at(-1);
  if (!newest) throw new DrillFailure(`no backup bundle in ${dir}`);
  return join(dir, newest);
}

async function restoreInto(options: DrillOptions, scratchUrl: string, bundle: string, trusted: ReturnType<typeof createPublicKey>) {
  // Vault settings off and every secret into the local store: a drill never writes to a Vault.
  const config = parseConfig({ ...options.env, DATABASE_URL: scratchUrl, JOBS_ENABLED: 'false', TASK_WORKER_ENABLED: 'false', USE_VAULT: 'false' });
  const ctx = await options.openContext(config, options.keys(config));
  try {
    return await ctx.restorer.restore(bundle, options.identities, trusted, { localOnly: true });
  } catch (e) {
    if (e instanceof BundleError) throw new DrillFailure(e.message);
    throw e;
  } finally {
    await ctx.close();
  }
}

/** Every restored, readable version against the live row of the same secret and version. */
async function compare(liveDb: pg.Client, scratchDb: pg.Client): Promise<{ matched: number; gone: number; rekeyed: number }> {
  await liveDb.connect();
  await scratchDb.connect();
  try {
    const restored = (await scratchDb.query<VersionRow>(`${VERSIONS} WHERE v.state <> 'destroyed' ORDER BY v.secret_id, v.version`)).rows;
    const liveRows = (await liveDb.query<VersionRow>(`${VERSIONS} WHERE v.secret_id = ANY($1)`, [[...new Set(restored.map((r) => r.secret_id))]])).rows;
    const byKey = new Map(liveRows.map((r) => [`${r.secret_id}/${r.version}`, r]));
    let matched = 0;
    let gone = 0;
    let rekeyed = 0;
    for (const r of restored) {
      const l = byKey.get(`${r.secret_id}/${r.version}`);
      // Purged or destroyed since the backup (retention, cleanup): nothing left to compare.
      if (!l || l.state === 'destroyed') {
        gone++;
        continue;
      }
      if (l.name !== r.name || l.secret_type !== r.secret_type) {
        throw new DrillFailure(`secret ${r.secret_id} is ${r.name} (${r.secret_type}) in the bundle but ${l.name} (${l.secret_type}) in the live database`);
      }
      // Fingerprints are keyed: only those under the same key compare (a rewrap re-keys them).
      if (l.fingerprint_key_id !== r.fingerprint_key_id) {
        rekeyed++;
        continue;
      }
      if (l.fingerprint !== r.fingerprint) {
        throw new DrillFailure(`version ${r.version} of secret ${r.secret_id} differs between the bundle and the live database (fingerprint mismatch)`);
      }
      matched++;
    }
    return { matched, gone, rekeyed };
  } finally {
    await liveDb.end();
    await scratchDb.end();
  }
}

/** The live chain still holds the head the bundle recorded, with the same hash. */
async function auditHeadMatches(liveDb: pg.Client, head: { seq: string; hash: string } | null): Promise<string> {
  if (!head) return 'the bundle records no audit head';
  const db = { query: async (sql: string, params?: unknown[]) => (await liveDb.query(sql, params)).rows } as unknown as Queryable;
  const hash = await rowHash(db, head.seq);
  if (hash === null) throw new DrillFailure(`the live audit chain no longer holds seq ${head.seq}, the head the bundle recorded`);
  if (hash !== head.hash) throw new DrillFailure(`the live audit chain's row ${head.seq} does not have the hash the bundle recorded: the chain was rewritten`);
  return `audit head seq ${head.seq} matches`;
}
