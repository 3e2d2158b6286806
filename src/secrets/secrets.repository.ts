import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SecretEntity } from './entities/secret.entity.js';

const LOCK_NOT_AVAILABLE = '55P03';
const driverCode = (e: unknown) => (e as { driverError?: { code?: string } }).driverError?.code;

export interface LockOptions {
  /** Which rows qualify: live ones (default), soft-deleted ones, or either. */
  deleted?: 'live' | 'deleted' | 'any';
  /**
   * Fail at once instead of queueing behind the holder (a concurrent rotation or write); the
   * error is `busy()` when given, else PostgreSQL's lock_not_available.
   */
  nowait?: boolean;
  busy?: () => Error;
}

/**
 * The secret's row lock (SELECT … FOR UPDATE): every write of a secret's versions or row holds
 * it for its transaction, which is what makes version numbers gapless. The one copy of that
 * query; null when no row qualifies.
 */
export async function lockSecretRow(tx: EntityManager, id: string, options: LockOptions = {}): Promise<SecretEntity | null> {
  const qb = tx.getRepository(SecretEntity).createQueryBuilder('s').setLock('pessimistic_write').where('s.id = :id', { id });
  const deleted = options.deleted ?? 'live';
  if (deleted === 'live') qb.andWhere('s.deleted_at IS NULL');
  if (deleted === 'deleted') qb.andWhere('s.deleted_at IS NOT NULL');
  if (options.nowait) qb.setOnLocked('nowait');
  try {
    return await qb.getOne();
  } catch (e) {
    if (options.busy && driverCode(e) === LOCK_NOT_AVAILABLE) throw options.busy();
    throw e;
  }
}

/** Non-secret facts a rotation saves with the value it promotes. */
export interface RotatedFacts {
  at: Date;
  nextRotationAt: Date;
  /** The new value's own expiry (a certificate's notAfter); otherwise an expired secret gets nextRotationAt. */
  expiresAt?: Date;
  /** Merged into the secret's tags (e.g. an SSH public key). */
  tags?: Record<string, string>;
}

/**
 * Writes of the `secrets` row that other services need, as narrow methods: the current version
 * pointer (SecretVersions) and the rotation columns (the rotation module). SecretsService keeps
 * its own create/update/delete; key re-wrap and backup restore still update the row themselves.
 */
@Injectable()
export class SecretsRepository {
  lock(tx: EntityManager, id: string, options?: LockOptions): Promise<SecretEntity | null> {
    return lockSecretRow(tx, id, options);
  }

  /** A secret, live or soft-deleted (null when purged or unknown). */
  find(tx: EntityManager, id: string): Promise<SecretEntity | null> {
    return tx.getRepository(SecretEntity).findOneBy({ id });
  }

  async findLive(tx: EntityManager, id: string): Promise<SecretEntity | null> {
    const secret = await this.find(tx, id);
    return secret && !secret.deletedAt ? secret : null;
  }

  /** `previousRetireAt`: when the version just demoted to previous is retired at the latest (null: none is previous). */
  async setCurrentVersion(tx: EntityManager, id: string, version: number, storeVersion: number, now: Date, previousRetireAt: Date | null): Promise<void> {
    await tx.query('UPDATE secrets SET current_version = $2, current_store_version = $3, updated_at = $4, previous_retire_at = $5 WHERE id = $1', [
      id,
      version,
      storeVersion,
      now,
      previousRetireAt,
    ]);
  }

  async setCurrentStoreVersion(tx: EntityManager, id: string, storeVersion: number): Promise<void> {
    await tx.query('UPDATE secrets SET current_store_version = $2 WHERE id = $1', [id, storeVersion]);
  }

  /** A rotation started (it holds the row lock); updated_at is left alone: the value did not change. */
  async markRotationStarted(tx: EntityManager, id: string): Promise<void> {
    await tx.query("UPDATE secrets SET rotation_status = 'in_progress' WHERE id = $1", [id]);
  }

  async markRotationFailed(tx: EntityManager, id: string, now: Date): Promise<void> {
    await tx.query("UPDATE secrets SET rotation_status = 'failed', updated_at = $2 WHERE id = $1", [id, now]);
  }

  /** Due secrets the scheduler cannot rotate itself (not already flagged). */
  async markRotationDue(tx: EntityManager, ids: string[], now: Date): Promise<void> {
    await tx.query("UPDATE secrets SET rotation_status = 'rotation_due', updated_at = $2 WHERE id = ANY($1) AND rotation_status <> 'rotation_due'", [ids, now]);
  }

  /** A rotation promoted its value (the version pointer moved with the promotion, in this transaction). */
  async markRotated(tx: EntityManager, id: string, facts: RotatedFacts): Promise<void> {
    await tx.query(
      // A secret rotated because it expired gets the new value's lifetime: valid until the next rotation.
      `UPDATE secrets SET last_rotated_at = $2, next_rotation_at = $3, rotation_status = 'completed', updated_at = $2,
         expires_at = coalesce($4::timestamptz, CASE WHEN expires_at <= $2 THEN $3 ELSE expires_at END),
         tags = CASE WHEN $5::jsonb IS NULL THEN tags ELSE tags || $5::jsonb END
       WHERE id = $1`,
      [id, facts.at, facts.nextRotationAt, facts.expiresAt ?? null, facts.tags ? JSON.stringify(facts.tags) : null],
    );
  }
}
