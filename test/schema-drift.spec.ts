import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingSchemaChanges } from '../src/database/migration-generate.cli.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

/** Generating a migration from the entities after running every migration must produce nothing. */
describe('schema', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it('is exactly what the migrations create (no drift between entities and migrations)', async () => {
    const { up } = await pendingSchemaChanges(db.url);
    expect(up).toEqual([]);
  });
});
