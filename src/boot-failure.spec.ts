import { describe, expect, it } from 'vitest';
import { ConfigError } from './config/index.js';
import { DatabaseUnreachableError } from './database/database-preflight.js';
import { describeBootFailure } from './boot-failure.js';

const sysError = (fields: Record<string, unknown>) => Object.assign(new Error('boom\n    at stack'), fields);

describe('describeBootFailure', () => {
  it.each([
    [new ConfigError('PORT must be a whole number'), 78, 'configuration error: PORT must be a whole number'],
    [new DatabaseUnreachableError('cannot connect to the database at db:5432: ETIMEDOUT'), 69, 'cannot connect to the database at db:5432: ETIMEDOUT'],
    [sysError({ code: 'EADDRINUSE', syscall: 'listen', address: '0.0.0.0', port: 8000 }), 78, 'configuration error: cannot listen on 0.0.0.0:8000 (HOST, PORT): EADDRINUSE'],
    [sysError({ code: 'EACCES', syscall: 'listen', address: '0.0.0.0', port: 80 }), 78, 'configuration error: cannot listen on 0.0.0.0:80 (HOST, PORT): EACCES'],
    [sysError({ code: 'EACCES', syscall: 'mkdir', path: '/var/lib/strongroom/pg' }), 78, 'configuration error: cannot use /var/lib/strongroom/pg (DATA_DIR): EACCES'],
    [sysError({}), 1, 'failed to start: boom'],
  ])('%s', (error, exitCode, msg) => {
    expect(describeBootFailure(error)).toEqual({ exitCode, msg });
  });
});
