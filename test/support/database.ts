import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** The machine's PostgreSQL; every test file gets a database of its own, dropped afterwards. */
export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * `STRONGROOM_TEST_DB=embedded` (`npm run test:embedded`): a "database" is a data directory and
 * the app started on it runs its own embedded PGlite, as `npm start` does with no DATABASE_URL.
 */
export const EMBEDDED_DB = process.env.STRONGROOM_TEST_DB === 'embedded';

const PGLITE_VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(join(process.cwd(), 'node_modules/@electric-sql/pglite/package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
})();

export interface TestDatabase {
  name: string;
  /** The connection URL; in embedded mode that of the app currently serving the data directory. */
  readonly url: string;
  /** Embedded mode: the data directory holding the database (`<dataDir>/pg`). */
  embedded?: { dataDir: string; url?: string };
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'strongroom_test'): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (EMBEDDED_DB) return embeddedTestDatabase(name);
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** An embedded database whatever STRONGROOM_TEST_DB says (for tests of the embedded mode itself). */
export function createEmbeddedTestDatabase(prefix = 'strongroom_embedded'): Promise<TestDatabase> {
  return embeddedTestDatabase(`${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`);
}

/**
 * A freshly initialised PGlite data directory, made once per machine and PGlite version and
 * copied for each test database: initdb in WebAssembly takes most of a minute on a busy machine,
 * opening a copy a few seconds. (The app still runs its migrations on the copy.)
 */
let template: Promise<string> | undefined;
function pgliteTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = join(tmpdir(), `strongroom-pglite-template-${PGLITE_VERSION}`);
    if (existsSync(join(dir, 'PG_VERSION'))) return dir;
    const scratch = mkdtempSync(join(tmpdir(), 'strongroom-pglite-init-'));
    const db = await PGlite.create(join(scratch, 'pg'));
    await db.close();
    try {
      renameSync(join(scratch, 'pg'), dir);
    } catch {
      /* another worker made it first */
    }
    rmSync(scratch, { recursive: true, force: true });
    return dir;
  })();
  return template;
}

async function embeddedTestDatabase(name: string): Promise<TestDatabase> {
  const embedded: { dataDir: string; url?: string } = { dataDir: mkdtempSync(join(tmpdir(), 'strongroom-embedded-')) };
  cpSync(await pgliteTemplate(), join(embedded.dataDir, 'pg'), { recursive: true });
  return {
    name,
    embedded,
    get url(): string {
      if (!embedded.url) throw new Error(`embedded test database ${name}: no app is serving it (start one first)`);
      return embedded.url;
    },
    async drop() {
      rmSync(embedded.dataDir, { recursive: true, force: true });
    },
  };
}

/** A direct connection for assertions on what the service stored. */
export async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}
