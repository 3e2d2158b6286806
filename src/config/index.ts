export { AppConfig, JOB_NAMES, type JobName, parseConfig, readProcessEnv } from './app-config.js';
export { ConfigError } from './config.errors.js';
export { ConfigModule } from './config.module.js';
export { describeConfig, loadRuntimeKeys, RuntimeKeys } from './runtime-keys.js';
