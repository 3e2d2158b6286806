import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { type DatabaseSchema, type DatabaseTimeouts, dataSourceOptions } from './data-source-options.js';
import { UnitOfWork } from './unit-of-work.js';

/** The PostgreSQL connection (external or embedded; the app factory decides which URL). */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(schema: DatabaseSchema, url: string, poolSize: number, timeouts?: DatabaseTimeouts, caFile?: string, preparedStatements = false): DynamicModule {
    return {
      module: DatabaseModule,
      // The boot checked the database already (checkDatabase): a couple of retries, not 9 × 3 s.
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions(schema, url, poolSize, timeouts, caFile, preparedStatements), migrationsRun: false, retryAttempts: 2, retryDelay: 1000 }),
      ],
      providers: [UnitOfWork],
      exports: [UnitOfWork],
    };
  }
}
