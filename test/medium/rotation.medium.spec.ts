import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DomainError, DomainErrorCode } from '../../src/common/domain-error.js';
import { SecretVersions } from '../../src/secrets/secret-versions.service.js';
import type { SecretEntity } from '../../src/secrets/entities/secret.entity.js';
import type { RotationEntity } from '../../src/rotation/entities/rotation.entity.js';
import { RotationService } from '../../src/rotation/rotation.service.js';
import type { RotationStep, RotatorContext } from '../../src/rotation/rotator.port.js';
import { RotatorRegistry } from '../../src/rotation/rotator-registry.js';
import { eventually } from '../support/app.js';
import { type KeyHolder, startKeyHolder } from '../support/key-holder.js';
import { type MediumApp, startMedium } from '../support/medium.js';
import { actor, currentValue, pendingRow, rotationById, rotationRow, secretById, secretRow, versionStates } from './factories.js';

const RESUME_AFTER_S = 120;
const initial = 'sk_initial_api_key_0123456789abcdef';

/**
 * The rotation state machine on PostgreSQL, without HTTP: RotationService and its pieces built by
 * Nest on a migrated database, the http rotator against a key-holding HTTPS service on 127.0.0.1.
 * A crash is simulated by leaving the database (and the target) as the interrupted step leaves
 * them, with a heartbeat that goes stale when the test clock moves; recovery then decides.
 */
describe('rotation (medium: services on PostgreSQL)', () => {
  let m: MediumApp;
  let rotation: RotationService;
  let holder: KeyHolder;
  let signingKey = '';
  let signingId: string;

  beforeAll(async () => {
    m = await startMedium({
      env: { ROTATION_MAX_ATTEMPTS: '3', ROTATOR_ALLOWED_HOSTS: '127.0.0.1', ROTATION_RESUME_AFTER_SECONDS: String(RESUME_AFTER_S) },
    });
    rotation = m.get(RotationService);
    const signing = await secretRow(m, { secret_type: 'WEBHOOK_SECRET' });
    signingId = signing.id;
    signingKey = await currentValue(m, signingId);
    holder = await startKeyHolder(() => signingKey, initial);
  }, 120_000);
  afterAll(async () => {
    await m?.stop();
    await holder?.close();
  });
  beforeEach(() => {
    holder.accepted.clear();
    holder.accepted.add(initial);
    holder.failures.clear();
    holder.issue = false;
    holder.calls.length = 0;
  });
  // A test that failed half-way must not hand its unfinished rotation to the next test's sweep.
  afterEach(() => m.sql("UPDATE secret_rotations SET status = 'failed', finished_at = now() WHERE status IN ('pending', 'in_progress')"));

  /** Moves the clock past the resume threshold and runs one recovery sweep. */
  const recover = async () => {
    m.clock.advance((RESUME_AFTER_S + 1) * 1000);
    return rotation.resumeInterrupted();
  };

  describe('inline (generated rotator)', () => {
    it('completes in one transaction: new current version, record, secret rotation columns', async () => {
      const s = await secretRow(m);
      const before = await currentValue(m, s.id);
      const r = await rotation.rotate(s.id, {}, actor, 'manual');
      expect(r).toMatchObject({ status: 'completed', attempts: 1, fromVersion: 1, toVersion: 2, rotator: 'generated', lastError: null, failureCause: null });
      expect(await rotationById(m, r.id)).toMatchObject({ status: 'completed', attempts: 1, toVersion: 2 });
      const secret = await secretById(m, s.id);
      expect(secret).toMatchObject({ currentVersion: 2, rotationStatus: 'completed' });
      expect(secret.lastRotatedAt).toEqual(m.clock.now());
      expect(await versionStates(m, s.id)).toEqual(['1:previous', '2:current']);
      expect(await currentValue(m, s.id)).not.toBe(before);
    });

    it('an emergency rotation destroys the previous version in the same transaction', async () => {
      const s = await secretRow(m);
      const r = await rotation.rotate(s.id, { emergency: true }, actor, 'manual');
      expect(r).toMatchObject({ status: 'completed', trigger: 'emergency', emergency: true });
      expect(await versionStates(m, s.id)).toEqual(['1:destroyed', '2:current']);
    });

    it('refuses a second rotation while one is unfinished (409), and changes nothing', async () => {
      const s = await secretRow(m);
      const unfinished = await rotationRow(m, s);
      const err = await rotation.rotate(s.id, {}, actor, 'manual').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe(DomainErrorCode.RotationInProgress);
      expect(await versionStates(m, s.id)).toEqual(['1:current']);
      // The unfinished one, resumed, is the rotation that happens.
      expect(await recover()).toBe(1);
      expect(await rotationById(m, unfinished.id)).toMatchObject({ status: 'completed', attempts: 1, toVersion: 2 });
    });

    it('resumes an interrupted rotation with its next attempt once the heartbeat is stale', async () => {
      const s = await secretRow(m);
      const r = await rotationRow(m, s, { attempts: 1, lastError: 'Vault is sealed', failureCause: 'store_unavailable' });
      const sleeps = m.clock.sleeps.length;
      expect(await recover()).toBe(1);
      expect(await rotationById(m, r.id)).toMatchObject({ status: 'completed', attempts: 2, toVersion: 2 });
      expect(await versionStates(m, s.id)).toEqual(['1:previous', '2:current']);
      expect(m.clock.sleeps.length).toBe(sleeps + 1); // the backoff before attempt 2
    });

    it('does not resume a rotation whose heartbeat is fresh (another replica is driving it)', async () => {
      const s = await secretRow(m);
      // The heartbeat is "now" after the clock moved: not stale for this sweep.
      m.clock.advance((RESUME_AFTER_S + 1) * 1000);
      const r = await rotationRow(m, s, { attempts: 1 });
      expect(await rotation.resumeInterrupted()).toBe(0);
      expect(await rotationById(m, r.id)).toMatchObject({ status: 'in_progress', attempts: 1 });
      // Once nothing refreshes it for ROTATION_RESUME_AFTER_SECONDS, it is resumed.
      expect(await recover()).toBe(1);
      expect(await rotationById(m, r.id)).toMatchObject({ status: 'completed', attempts: 2 });
    });

    it('fails a resumed rotation whose secret was deleted meanwhile', async () => {
      const s = await secretRow(m);
      const r = await rotationRow(m, s, { attempts: 1 });
      await m.sql('UPDATE secrets SET deleted_at = $2 WHERE id = $1', [s.id, m.clock.now()]);
      expect(await recover()).toBe(1);
      expect(await rotationById(m, r.id)).toMatchObject({ status: 'failed', failureCause: 'secret_gone' });
    });
  });

  describe('staged (http rotator)', () => {
    const httpSecret = () =>
      secretRow(m, { value: initial, rotator: { kind: 'http', url: holder.url, admin_secret_id: signingId, ssl_ca: holder.ca } as never });

    it('commits pending, applies, verifies, finishes and promotes; the target takes the new key', async () => {
      const s = await httpSecret();
      const r = await rotation.rotate(s.id, {}, actor, 'manual');
      expect(r).toMatchObject({ status: 'completed', attempts: 1, toVersion: 2, rotator: 'http' });
      expect(holder.calls.map((c) => `${c.step}@${c.versionId}`)).toEqual(['create', 'set', 'test', 'finish'].map((st) => `${st}@${r.id}.1`));
      const value = await currentValue(m, s.id);
      expect(await holder.canUse(value)).toBe(true);
      expect(await holder.canUse(initial)).toBe(false);
      expect(await versionStates(m, s.id)).toEqual(['1:previous', '2:current']);
      expect((await secretById(m, s.id)).rotationStatus).toBe('completed');
    });

    it('retries an attempt the target failed, reverting it first, with a fresh value', async () => {
      const s = await httpSecret();
      holder.failures.set('test', { status: 400, once: true });
      const r = await rotation.rotate(s.id, {}, actor, 'manual');
      expect(r).toMatchObject({ status: 'completed', attempts: 2, toVersion: 3, failureCause: 'target_failed' });
      expect(holder.calls.map((c) => `${c.step}@${c.versionId.slice(r.id.length)}`)).toEqual([
        'create@.1', 'set@.1', 'test@.1', 'revert@.1', 'create@.2', 'set@.2', 'test@.2', 'finish@.2',
      ]);
      expect(await versionStates(m, s.id)).toEqual(['1:previous', '2:destroyed', '3:current']);
      expect(await holder.canUse(await currentValue(m, s.id))).toBe(true);
    });

    it('fails for good after the last attempt: old value current and working, cause typed, 502 for HTTP', async () => {
      const s = await httpSecret();
      holder.failures.set('set', { status: 400 });
      const r = await rotation.rotate(s.id, {}, actor, 'manual');
      expect(r).toMatchObject({ status: 'failed', attempts: 3, failureCause: 'target_failed' });
      expect(await rotationById(m, r.id)).toMatchObject({ status: 'failed', attempts: 3, failureCause: 'target_failed' });
      expect(rotation.failureError(r).code).toBe(DomainErrorCode.UpstreamFailed);
      expect(await currentValue(m, s.id)).toBe(initial);
      expect(await holder.canUse(initial)).toBe(true);
      expect(await versionStates(m, s.id)).toEqual(['1:current', '2:destroyed', '3:destroyed', '4:destroyed']);
      expect((await secretById(m, s.id)).rotationStatus).toBe('failed');
    });

    it('for an HTTP caller: answers the unfinished rotation after the first attempt, the rest run in the background', async () => {
      const s = await httpSecret();
      holder.failures.set('set', { status: 400, once: true });
      const answered = await rotation.rotate(s.id, {}, actor, 'manual', {}, { retryInBackground: true });
      expect(answered).toMatchObject({ status: 'in_progress', attempts: 1, failureCause: 'target_failed' });
      const settled = await eventually(async () => {
        const r = await rotationById(m, answered.id);
        return r.status !== 'in_progress' && r;
      });
      expect(settled).toMatchObject({ status: 'completed', attempts: 2, toVersion: 3 });
      expect(await holder.canUse(await currentValue(m, s.id))).toBe(true);
    });

    describe('resume after a crash at each step', () => {
      /** The rotator's own calls, as the interrupted process made them before it died. */
      const target = (secret: SecretEntity, r: RotationEntity, attempt: number) => {
        const rotator = m.get(RotatorRegistry).of(secret);
        const ctx: RotatorContext = m.get(RotatorRegistry).contextFor(secret, actor, r.id);
        const step: RotationStep = { rotationId: r.id, versionId: `${r.id}.${attempt}` };
        return { rotator, ctx, step };
      };
      const pendingValue = async (secretId: string) => {
        const versions = m.get(SecretVersions);
        const [row] = await versions.pendingOf(m.uow.manager(), secretId);
        return versions.valueOf(m.uow.manager(), await secretById(m, secretId), row!);
      };

      it('after the record was created (nothing produced): the first attempt runs', async () => {
        const s = await httpSecret();
        const r = await rotationRow(m, s);
        expect(await recover()).toBe(1);
        expect(await rotationById(m, r.id)).toMatchObject({ status: 'completed', attempts: 1, toVersion: 2 });
        expect(holder.calls.map((c) => c.step)).toEqual(['create', 'set', 'test', 'finish']);
        expect(await holder.canUse(await currentValue(m, s.id))).toBe(true);
      });

      it('after produce: the same attempt asks again and gets the value the target issued', async () => {
        holder.issue = true;
        const s = await httpSecret();
        const r = await rotationRow(m, s);
        const { rotator, ctx, step } = target(s, r, 1);
        const issued = await rotator.produce(s, ctx, step, initial);
        expect(issued).toMatch(/^issued_/);
        expect(await recover()).toBe(1);
        expect(await rotationById(m, r.id)).toMatchObject({ status: 'completed', attempts: 1, toVersion: 2 });
        expect(await currentValue(m, s.id)).toBe(issued);
        expect(await holder.canUse(issued!)).toBe(true);
      });

      it('after staging (pending committed, target untouched): verify fails, the attempt is undone and the next one completes', async () => {
        const s = await httpSecret();
        const r = await rotationRow(m, s);
        const staged = await pendingRow(m, r, 'sk_staged_but_never_applied_0123456789', 1);
        expect(await recover()).toBe(1);
        expect(await rotationById(m, r.id)).toMatchObject({ status: 'completed', attempts: 2, toVersion: staged.version + 1 });
        expect(holder.calls.map((c) => `${c.step}@${c.versionId.slice(r.id.length)}`)).toEqual([
          'test@.1', 'revert@.1', 'create@.2', 'set@.2', 'test@.2', 'finish@.2',
        ]);
        expect(await versionStates(m, s.id)).toEqual(['1:previous', '2:destroyed', '3:current']);
        expect(await holder.canUse(await currentValue(m, s.id))).toBe(true);
        expect(await holder.canUse(initial)).toBe(false);
      });

      for (const reached of ['apply', 'verify', 'finish'] as const) {
        it(`after ${reached}: the pending value works at the target, so it is finished and promoted`, async () => {
          const s = await httpSecret();
          const r = await rotationRow(m, s);
          await pendingRow(m, r, `sk_staged_${reached}_0123456789abcdef`, 1);
          const value = await pendingValue(s.id);
          const { rotator, ctx, step } = target(s, r, 1);
          await rotator.apply(s, value, ctx, step);
          if (reached !== 'apply') await rotator.verify(s, value, ctx, step);
          if (reached === 'finish') await rotator.finish(s, value, ctx, step);
          holder.calls.length = 0;

          expect(await recover()).toBe(1);
          expect(await rotationById(m, r.id)).toMatchObject({ status: 'completed', attempts: 1, toVersion: 2 });
          expect(holder.calls.map((c) => c.step)).toEqual(['test', 'finish']);
          expect(await currentValue(m, s.id)).toBe(value);
          expect(await versionStates(m, s.id)).toEqual(['1:previous', '2:current']);
          expect(await holder.canUse(value)).toBe(true);
          expect(await holder.canUse(initial)).toBe(false);
          expect((await secretById(m, s.id)).rotationStatus).toBe('completed');
        });
      }

      it('after a failed attempt was reverted and discarded: the next attempt runs', async () => {
        const s = await httpSecret();
        const r = await rotationRow(m, s, { attempts: 1, lastError: 'the target answered 503', failureCause: 'target_failed' });
        expect(await recover()).toBe(1);
        expect(await rotationById(m, r.id)).toMatchObject({ status: 'completed', attempts: 2, toVersion: 2 });
        expect(holder.calls.map((c) => `${c.step}@${c.versionId.slice(r.id.length)}`)).toEqual(['create@.2', 'set@.2', 'test@.2', 'finish@.2']);
      });

      it('after the last attempt failed at the target: recovery fails the rotation, the old value stays', async () => {
        const s = await httpSecret();
        const r = await rotationRow(m, s, { attempts: 3, lastError: 'the target answered 400', failureCause: 'target_failed' });
        expect(await recover()).toBe(1);
        expect(await rotationById(m, r.id)).toMatchObject({ status: 'failed', attempts: 3, failureCause: 'target_failed' });
        expect(holder.calls).toEqual([]);
        expect(await currentValue(m, s.id)).toBe(initial);
        expect((await secretById(m, s.id)).rotationStatus).toBe('failed');
      });

      it('after promotion: the rotation is complete and recovery leaves it alone', async () => {
        const s = await httpSecret();
        const done = await rotation.rotate(s.id, {}, actor, 'manual');
        holder.calls.length = 0;
        expect(await recover()).toBe(0);
        expect(await rotationById(m, done.id)).toMatchObject({ status: 'completed', attempts: 1 });
        expect(holder.calls).toEqual([]);
      });
    });
  });
});
