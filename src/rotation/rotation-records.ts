import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type EntityManager, In } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { SecretEntity } from '../secrets/entities/secret.entity.js';
import type { RotationContext } from './attempt-context.js';
import { RotationEntity } from './entities/rotation.entity.js';
import type { RotationFailure } from './rotation-failure.js';
import { rotationInProgress } from './rotation.errors.js';

const UNIQUE_VIOLATION = '23505';
const driverCode = (e: unknown) => (e as { driverError?: { code?: string } }).driverError?.code;
const newRotationId = () => `rot_${randomBytes(12).toString('base64url')}`;

/**
 * The only writer of `secret_rotations`. Each write also refreshes `updated_at`, the heartbeat
 * RotationRecovery judges a rotation abandoned by. Methods taking `tx` join the caller's
 * transaction; the others run in the current unit of work (or on their own).
 */
@Injectable()
export class RotationRecords {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  /** A new record (not saved yet): `in_progress` once `start` inserts it, or completed inline. */
  draft(secret: SecretEntity, rotator: string, ctx: RotationContext): RotationEntity {
    const now = this.clock.now();
    return Object.assign(new RotationEntity(), {
      id: newRotationId(),
      secretId: secret.id,
      status: 'pending',
      trigger: ctx.req.emergency ? 'emergency' : ctx.trigger,
      triggeredBy: ctx.actor.sub,
      rotator,
      emergency: ctx.req.emergency ?? false,
      reason: ctx.req.reason ?? null,
      attempts: 0,
      lastError: null,
      failureCause: null,
      fromVersion: secret.currentVersion,
      toVersion: null,
      createdAt: now,
      startedAt: now,
      updatedAt: now,
      finishedAt: null,
    } satisfies Partial<RotationEntity>);
  }

  /** Inserts `record` as in_progress; a second unfinished rotation of the secret is 409 (partial unique index). */
  async start(tx: EntityManager, record: RotationEntity): Promise<RotationEntity> {
    const now = this.clock.now();
    Object.assign(record, { status: 'in_progress', startedAt: now, updatedAt: now });
    try {
      await tx.getRepository(RotationEntity).insert(record);
    } catch (e) {
      if (driverCode(e) === UNIQUE_VIOLATION) throw rotationInProgress(record.secretId);
      throw e;
    }
    return record;
  }

  /** An attempt failed (`attempt` omitted: the count stays, e.g. a staged attempt already counted). */
  async attemptFailed(rotation: RotationEntity, failure: RotationFailure, attempt?: number, tx: EntityManager = this.uow.manager()): Promise<RotationEntity> {
    const now = this.clock.now();
    Object.assign(rotation, { attempts: attempt ?? rotation.attempts, lastError: failure.message, failureCause: failure.cause, updatedAt: now });
    await tx
      .getRepository(RotationEntity)
      .update({ id: rotation.id }, { attempts: rotation.attempts, lastError: failure.message, failureCause: failure.cause, updatedAt: now });
    return rotation;
  }

  /** A staged attempt committed its pending version. */
  async staged(tx: EntityManager, rotation: RotationEntity, attempt: number, toVersion: number): Promise<void> {
    const now = this.clock.now();
    await tx.getRepository(RotationEntity).update({ id: rotation.id }, { attempts: attempt, toVersion, updatedAt: now });
    // to_version in memory stays as it was: it is set when the rotation completes.
    Object.assign(rotation, { attempts: attempt, updatedAt: now });
  }

  /** Saves the completed rotation (inserted here when it completed inline at its first attempt). */
  async completed(tx: EntityManager, rotation: RotationEntity, toVersion: number, attempt: number): Promise<RotationEntity> {
    const now = this.clock.now();
    Object.assign(rotation, { status: 'completed', attempts: attempt, toVersion, startedAt: rotation.startedAt ?? now, finishedAt: now, updatedAt: now });
    await tx.getRepository(RotationEntity).upsert(rotation, ['id']);
    return rotation;
  }

  async failed(tx: EntityManager, rotation: RotationEntity, failure: RotationFailure): Promise<RotationEntity> {
    const now = this.clock.now();
    Object.assign(rotation, { status: 'failed', lastError: failure.message, failureCause: failure.cause, finishedAt: now, updatedAt: now });
    await tx.getRepository(RotationEntity).save(rotation);
    return rotation;
  }

  /** Unfinished rotations whose heartbeat is older than `before`. */
  stale(before: Date): Promise<RotationEntity[]> {
    return this.uow
      .manager()
      .getRepository(RotationEntity)
      .createQueryBuilder('r')
      .where("r.status IN ('pending', 'in_progress') AND r.updated_at < :before", { before })
      .getMany();
  }

  /** Claims a stale rotation: only the replica whose update matches the old heartbeat gets it. */
  async claim(rotation: RotationEntity): Promise<boolean> {
    const now = this.clock.now();
    const claimed = (await this.uow
      .manager()
      .query('UPDATE secret_rotations SET updated_at = $3 WHERE id = $1 AND updated_at = $2', [rotation.id, rotation.updatedAt, now])) as [unknown, number];
    if (claimed[1] !== 1) return false;
    rotation.updatedAt = now;
    return true;
  }

  find(id: string): Promise<RotationEntity | null> {
    return this.uow.manager().getRepository(RotationEntity).findOneBy({ id });
  }

  active(secretId: string): Promise<RotationEntity | null> {
    return this.uow.manager().getRepository(RotationEntity).findOneBy({ secretId, status: In(['pending', 'in_progress']) });
  }

  /** Newest first, at most 500. */
  history(secretId: string): Promise<RotationEntity[]> {
    return this.uow.manager().getRepository(RotationEntity).find({ where: { secretId }, order: { createdAt: 'DESC' }, take: 500 });
  }
}
