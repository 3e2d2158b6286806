import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll } from 'vitest';
import { SCHEMA } from '../src/composition/schema.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { runMigrations } from '../src/database/migrate.js';
import { LocalSecretStore } from '../src/secrets/store/local-secret-store.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { describeSecretStoreContract } from './support/secret-store-contract.js';

let db: TestDatabase;
let ds: DataSource;

beforeAll(async () => {
  db = await createTestDatabase();
  ds = new DataSource(dataSourceOptions(SCHEMA, db.url, 4));
  await ds.initialize();
  await runMigrations(ds);
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

describeSecretStoreContract('LocalSecretStore (PostgreSQL)', async () => ({
  store: new LocalSecretStore(),
  tx: ds.manager,
  cleanup: async () => undefined,
}));
