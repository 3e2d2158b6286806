import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The machine's PostgreSQL; every test file gets a database of its own, dropped afterwards. */
export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * `STRONGROOM_TEST_DB=embedded` (`npm run test:embedded`): a "database" is a data directory and
 * the app started on it runs its own embedded PGlite, as `npm start` does with no DATABASE_URL.
 */
export const EMBEDDED_DB = process.env.STRONGROOM_TEST_DB === 'embedded';

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
export function createEmbeddedTestDatabase(prefix = 'strongroom_embedded'): TestDatabase {
  return embeddedTestDatabase(`${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`);
}

function embeddedTestDatabase(name: string): TestDatabase {
  const embedded: { dataDir: string; url?: string } = { dataDir: mkdtempSync(join(tmpdir(), 'strongroom-embedded-')) };
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
