import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { jobSchedules, loopSchedules } from './job-schedules.js';

const RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

describe('jobSchedules', () => {
  it('schedules backup_secrets on BACKUP_SCHEDULE only when BACKUP_RECIPIENTS is set', () => {
    expect(jobSchedules(parseConfig({})).backup_secrets).toBeUndefined();
    expect(jobSchedules(parseConfig({ BACKUP_RECIPIENTS: RECIPIENT })).backup_secrets).toBe('0 0 1 * * *');
    expect(jobSchedules(parseConfig({ BACKUP_RECIPIENTS: RECIPIENT, BACKUP_SCHEDULE: '0 30 */6 * * *' })).backup_secrets).toBe('0 30 */6 * * *');
    expect(() => parseConfig({ BACKUP_SCHEDULE: 'daily' })).toThrow(/BACKUP_SCHEDULE must be a cron expression/);
  });

  it('lists the periodic loops; the audit checkpoint loop follows SECURITY_AUDIT_ENABLED', () => {
    expect(loopSchedules(parseConfig({}))).toEqual({
      rotation_recovery: { everyMs: 60_000, atBoot: true, enabled: true },
      audit_checkpoint: { everyMs: 300_000, atBoot: true, enabled: true },
      previous_version_retirement: { everyMs: 60_000, atBoot: true, enabled: true },
    });
    expect(loopSchedules(parseConfig({ SECURITY_AUDIT_ENABLED: 'false' })).audit_checkpoint.enabled).toBe(false);
  });
});
