import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkRotationService } from '../../src/rotation/bulk-rotation.service.js';
import { RotatorRegistry } from '../../src/rotation/rotator-registry.js';
import { SecretsService } from '../../src/secrets/secrets.service.js';
import { SecretVersions } from '../../src/secrets/secret-versions.service.js';
import { TaskRunner } from '../../src/tasks/task-runner.js';
import { type KeyHolder, startKeyHolder } from '../support/key-holder.js';
import { type MediumApp, startMedium } from '../support/medium.js';
import { actor, currentValue, pendingRow, rotationById, rotationRow, secretById, secretRow, versionStates } from './factories.js';

const initial = 'sk_initial_api_key_0123456789abcdef';

/**
 * Bulk rotation as task items, on PostgreSQL without HTTP. The worker loop is off: each test
 * drives `TaskRunner.tick()` itself, so claims, leases and batches happen when it says.
 */
describe('bulk rotation tasks (medium: services on PostgreSQL)', () => {
  let m: MediumApp;
  let runner: TaskRunner;
  let bulk: BulkRotationService;

  beforeAll(async () => {
    m = await startMedium({ env: { TASK_WORKER_ENABLED: 'false', TASK_LEASE_SECONDS: '60', ROTATOR_ALLOWED_HOSTS: '127.0.0.1' } });
    runner = m.get(TaskRunner);
    bulk = m.get(BulkRotationService);
  }, 120_000);
  afterAll(() => m?.stop());

  const items = (taskId: string) =>
    m.sql<{ target: string; status: string; attempts: number; error: string | null }>(
      'SELECT target, status, attempts, error FROM task_items WHERE task_id = $1 ORDER BY seq',
      [taskId],
    );
  const rotationsOf = async (secretId: string) =>
    (await m.sql<{ n: number }>('SELECT count(*)::int AS n FROM secret_rotations WHERE secret_id = $1', [secretId]))[0]!.n;

  it('rotates generated secrets in batches, each once; a secret deleted before its turn fails only its own item', async () => {
    const secrets = [];
    for (let i = 0; i < 30; i++) secrets.push(await secretRow(m, { tags: { batch: 'b1' } }));
    const { task_id } = await bulk.start({ tag: 'batch:b1' }, actor);
    const gone = secrets[7]!;
    await m.get(SecretsService).softDelete(gone.id, actor);

    expect(await runner.tick()).toBe(30);
    expect(await runner.tick()).toBe(0);

    const rows = await items(task_id);
    expect(rows.filter((r) => r.status === 'done')).toHaveLength(29);
    expect(rows.find((r) => r.target === gone.id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/not found/) });
    for (const s of secrets.filter((x) => x.id !== gone.id)) {
      expect(await versionStates(m, s.id)).toEqual(['1:previous', '2:current']);
      expect(await rotationsOf(s.id)).toBe(1);
    }
    expect(await rotationsOf(gone.id)).toBe(0);
    expect((await m.sql<{ status: string }>('SELECT status FROM tasks WHERE id = $1', [task_id]))[0]!.status).toBe('completed');
  });

  it('leaves an item claimed by a live lease alone, and takes it once the lease has run out', async () => {
    const s = await secretRow(m);
    const { task_id } = await bulk.start({ ids: [s.id] }, actor);
    // A worker claimed it and died: its lease still runs.
    await m.sql("UPDATE task_items SET lease_until = now() + interval '1 hour', attempts = 1 WHERE task_id = $1", [task_id]);
    expect(await runner.tick()).toBe(0);
    expect(await versionStates(m, s.id)).toEqual(['1:current']);

    await m.sql("UPDATE task_items SET lease_until = now() - interval '1 second' WHERE task_id = $1", [task_id]);
    expect(await runner.tick()).toBe(1);
    expect(await items(task_id)).toEqual([{ target: s.id, status: 'done', attempts: 2, error: null }]);
    expect(await versionStates(m, s.id)).toEqual(['1:previous', '2:current']);
    expect(await rotationsOf(s.id)).toBe(1);
  });

  describe('with an external target', () => {
    let holder: KeyHolder;
    let signingKey = '';
    let signingId: string;
    beforeAll(async () => {
      const signing = await secretRow(m, { secret_type: 'WEBHOOK_SECRET' });
      signingId = signing.id;
      signingKey = await currentValue(m, signingId);
      holder = await startKeyHolder(() => signingKey, initial);
    });
    afterAll(() => holder?.close());

    it('an item whose staged rotation was under way at a crash resumes that rotation: the secret is rotated once', async () => {
      const s = await secretRow(m, { value: initial, rotator: { kind: 'http', url: holder.url, admin_secret_id: signingId, ssl_ca: holder.ca } as never });
      const { task_id } = await bulk.start({ ids: [s.id] }, actor);
      // The worker had started the rotation (its id saved with the item), staged and applied the
      // new key, then died with the item's lease run out.
      const r = await rotationRow(m, s, { trigger: 'bulk' });
      await m.sql("UPDATE task_items SET ref = $2, attempts = 1, lease_until = now() - interval '1 second' WHERE task_id = $1", [task_id, r.id]);
      await pendingRow(m, r, 'sk_staged_by_the_dead_worker_0123456789', 1);
      const versions = m.get(SecretVersions);
      const [pending] = await versions.pendingOf(m.uow.manager(), s.id);
      const value = await versions.valueOf(m.uow.manager(), await secretById(m, s.id), pending!);
      const registry = m.get(RotatorRegistry);
      await registry.of(s).apply(s, value, registry.contextFor(s, actor, r.id), { rotationId: r.id, versionId: `${r.id}.1` });

      expect(await runner.tick()).toBe(1);
      expect(await rotationById(m, r.id)).toMatchObject({ status: 'completed', attempts: 1, toVersion: 2 });
      expect(await items(task_id)).toEqual([{ target: s.id, status: 'done', attempts: 2, error: null }]);
      expect(await rotationsOf(s.id)).toBe(1);
      expect(await currentValue(m, s.id)).toBe(value);
      expect(await holder.canUse(value)).toBe(true);
      expect(await holder.canUse(initial)).toBe(false);
    });
  });
});
