import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditSealer } from '../../src/audit/sealer/audit-sealer.js';
import { readBundle, trustedKey } from '../../src/backups/backup-format.js';
import { JobScheduler } from '../../src/jobs/job-scheduler.js';
import { startTestApp, TEST_ENCRYPTION_KEY, type TestApp } from '../support/app.js';
import { connect, EMBEDDED_DB } from '../support/database.js';
import { TestClock } from '../support/test-clock.js';

const exec = promisify(execFile);
const JOB = 'backup_secrets';

/** Runs the drill CLI from source (`npm run backup:drill` runs the same file compiled); never throws. */
async function drill(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--no-warnings', '--import', '@swc-node/register/esm-register', 'src/backups/cli/backup-drill.cli.ts', ...args], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/**
 * The scheduled backup_secrets job, driven through two replicas' schedulers and test clocks as
 * scheduled-slots.e2e.spec.ts does, and the restore drill run as a child process against the
 * bundle that job wrote.
 */
describe.skipIf(EMBEDDED_DB)('scheduled backups and the restore drill', () => {
  const clockA = new TestClock(new Date('2026-12-02T00:59:00.000Z'));
  const clockB = new TestClock(new Date('2026-12-02T00:59:00.000Z'));
  let a: TestApp;
  let b: TestApp;
  let work: string;
  let bundles: string;
  let identityFile: string;
  let drillEnv: Record<string, string>;
  const secretIds: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'strongroom-drill-'));
    bundles = join(work, 'bundles');
    const identity = await generateX25519Identity();
    identityFile = join(work, 'backup.key');
    writeFileSync(identityFile, `${identity}\n`);
    const env = { BACKUP_RECIPIENTS: await identityToRecipient(identity), BACKUP_DIR: bundles, BACKUP_SCHEDULE: '0 0 1 * * *' };
    a = await startTestApp({ env, clock: clockA });
    b = await startTestApp({ env, clock: clockB, db: a.db });
    for (const body of [
      { name: 'drill_api_key', secret_type: 'API_KEY' },
      { name: 'drill_db_password', secret_type: 'DATABASE_PASSWORD', value: 'drill-password-0123456789' },
      { name: 'drill_jwt', secret_type: 'JWT_SECRET' },
    ]) {
      const res = await a.call('POST', '/api/v1/secrets', { body });
      expect(res.status).toBe(201);
      secretIds.push(res.body.id);
    }
    expect((await a.call('PUT', `/api/v1/secrets/${secretIds[1]}/value`, { body: { value: 'drill-password-second-value' } })).status).toBe(200);
    // The chain has a sealed head for the bundle to record.
    await a.app.get(AuditSealer).sealNow();
    drillEnv = { DATABASE_URL: a.db.url, DATA_DIR: a.dataDir, LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, BACKUP_DIR: bundles };
  }, 120_000);

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const setTo = (clock: TestClock, iso: string) => clock.advance(new Date(iso).getTime() - clock.now().getTime());
  const scratchDatabases = async () => {
    const pg = await connect(a.db.url);
    try {
      return (await pg.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${a.db.name}_drill_%`])).rows.length;
    } finally {
      await pg.end();
    }
  };

  it('runs backup_secrets once for its slot across replicas and writes a bundle that verifies', async () => {
    setTo(clockA, '2026-12-02T01:00:00.200Z');
    setTo(clockB, '2026-12-02T01:00:04.000Z');
    const outcomes = [await a.app.get(JobScheduler).tick(JOB), await b.app.get(JobScheduler).tick(JOB)];
    expect(outcomes.sort()).toEqual(['ran', 'skipped']);

    const files = readdirSync(bundles).filter((f) => f.endsWith('.jsonl'));
    expect(files).toHaveLength(1);
    const key = (await a.call('GET', '/api/v1/audit/public-key')).body.public_key_pem as string;
    const { header, trailer } = await readBundle(join(bundles, files[0]!), { trusted: trustedKey(key) });
    expect(trailer.counts).toEqual({ secrets: 3, versions: 4, values: 4 });
    expect(header.audit.head).not.toBeNull();

    const pg = await connect(a.db.url);
    try {
      const runs = (await pg.query("SELECT slot, status, counts FROM job_runs WHERE job_name = $1 AND trigger = 'schedule'", [JOB])).rows;
      expect(runs).toHaveLength(1);
      expect((runs[0].slot as Date).toISOString()).toBe('2026-12-02T01:00:00.000Z');
      expect(runs[0]).toMatchObject({ status: 'succeeded', counts: { backup_id: header.id, secrets: 3, versions: 4, values: 4 } });
      const audit = (await pg.query("SELECT actor, outcome, details FROM audit_events WHERE action = 'job.run' AND details->>'job' = $1", [JOB])).rows;
      expect(audit).toEqual([expect.objectContaining({ actor: `system:${JOB}`, outcome: 'success' })]);
      expect(audit[0].details.count_backup_id).toBe(header.id);
    } finally {
      await pg.end();
    }
  }, 120_000);

  it('the drill restores the newest bundle into a scratch database, compares it with the live one, prints one line and drops it', async () => {
    const res = await drill(['--identity', identityFile], drillEnv);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^restore drill passed: bk_\S+ \(2026-12-02T01:00:00\.200Z\) restored into a scratch database: 3 secrets, 4 versions \(4 values, 0 destroyed\); every value decrypts and matches its fingerprint; 4 versions match the live database \(0 gone since, 0 under another fingerprint key\); audit head seq \d+ matches$/,
    );
    expect(await scratchDatabases()).toBe(0);
  }, 180_000);

  it('fails, with one line and exit 1, when the live database no longer matches the bundle, or the identity is wrong; the scratch database is dropped', async () => {
    const wrong = join(work, 'other.key');
    writeFileSync(wrong, `${await generateX25519Identity()}\n`);
    const refused = await drill(['--identity', wrong], drillEnv);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^backup:drill: restore drill FAILED: the identity does not open this bundle/);
    expect(await scratchDatabases()).toBe(0);

    // A live row that no longer holds what was backed up (here: its fingerprint changed).
    const pg = await connect(a.db.url);
    try {
      await pg.query("UPDATE secret_versions SET fingerprint = reverse(fingerprint) WHERE secret_id = $1 AND version = 2", [secretIds[1]]);
    } finally {
      await pg.end();
    }
    const differs = await drill(['--identity', identityFile], drillEnv);
    expect(differs.code).toBe(1);
    expect(differs.stderr.trim()).toBe(`backup:drill: restore drill FAILED: version 2 of secret ${secretIds[1]} differs between the bundle and the live database (fingerprint mismatch)`);
    expect(await scratchDatabases()).toBe(0);
  }, 240_000);
});
