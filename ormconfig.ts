/**
 * The DataSource for the TypeORM CLI, built from the same parsed configuration as the service.
 * It needs DATABASE_URL (the embedded database only runs inside the service).
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, parseConfig, readProcessEnv } from './src/config/index.js';
import { SCHEMA } from './src/composition/schema.js';
import { dataSourceOptions } from './src/database/data-source-options.js';

const config = parseConfig(readProcessEnv());
if (!config.database.url) throw new ConfigError('DATABASE_URL is required for the TypeORM CLI');

export default new DataSource(dataSourceOptions(SCHEMA, config.database.url, 2));
