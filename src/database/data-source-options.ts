import type { DataSourceOptions } from 'typeorm';
import { BoundedClient, PreparingClient } from './bounded-client.js';
import { pgTarget } from './database-tls.js';
import { SnakeNamingStrategy } from './snake-naming.strategy.js';

/** How long the service waits on PostgreSQL (AppConfig.operations); absent: the defaults below. */
export interface DatabaseTimeouts {
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  acquireTimeoutMs: number;
}

const DEFAULT_TIMEOUTS: DatabaseTimeouts = { statementTimeoutMs: 15_000, idleInTransactionTimeoutMs: 30_000, acquireTimeoutMs: 5_000 };

/**
 * The entities and migrations a DataSource maps. The list lives at the composition root
 * (src/composition/schema.ts), since it names every feature's entities.
 */
export interface DatabaseSchema {
  entities: Function[];
  migrations: Function[];
}

/** One definition of the database connection for the app, the CLI and the tests. */
export function dataSourceOptions(
  schema: DatabaseSchema,
  url: string,
  poolSize: number,
  timeouts: DatabaseTimeouts = DEFAULT_TIMEOUTS,
  /** DATABASE_CA_FILE; TLS otherwise follows sslmode in the URL (database-tls.ts). */
  caFile?: string,
  /** Prepare hot statements (bounded-client.ts); never for the embedded database's one shared backend. */
  preparedStatements = false,
): DataSourceOptions {
  const target = pgTarget(url, caFile);
  return {
    type: 'postgres',
    url: target.url,
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    extra: {
      max: poolSize,
      application_name: 'strongroom',
      // Every wait on the database is bounded: getting a connection (from the pool or a new one),
      // a statement at the server, a reply from a server that went silent, an open transaction.
      connectionTimeoutMillis: timeouts.acquireTimeoutMs,
      statement_timeout: timeouts.statementTimeoutMs,
      query_timeout: timeouts.statementTimeoutMs + 2_000,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
      keepAlive: true,
      Client: preparedStatements ? PreparingClient : BoundedClient,
      ...(target.ssl === undefined ? {} : { ssl: target.ssl }),
    },
    logging: false,
  };
}
