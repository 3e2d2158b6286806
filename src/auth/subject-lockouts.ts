import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PollingLoop } from '../common/polling-loop.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { SubjectLockoutEntity } from './entities/subject-lockout.entity.js';

/** How often every replica reloads the locked-out subjects (and how soon a change is in force everywhere). */
export const LOCKOUT_REFRESH_MS = 1_000;
/** Most lockouts in force at once: the set every replica holds stays small. */
export const MAX_ACTIVE_LOCKOUTS = 10_000;

export const subjectLockedOut = () =>
  new DomainError(
    DomainErrorCode.SubjectLockedOut,
    'this subject is locked out after a security incident; its tokens are refused until an admin lifts the lockout',
  );

/**
 * Subjects whose tokens are refused (`subject_lockouts`, owned here; the incidents module locks
 * and lifts through `lock`/`lift`). Every replica keeps the distinct locked-out subjects in an
 * in-memory set, so the JWT guard's check is a set lookup with no I/O. The set is reloaded from
 * PostgreSQL every LOCKOUT_REFRESH_MS by a background loop (the whole table: it holds only
 * lockouts in force, at most MAX_ACTIVE_LOCKOUTS short rows), and on the replica that made a
 * change as soon as it commits, before that request's response. So a lockout or a lift is in
 * force at once on the replica that made it and on every other within about a second, as
 * policy changes are (src/policies/README.md): polling, not LISTEN/NOTIFY, for the same reasons
 * (no held connection, nothing lost when a notification is missed). Until the first load
 * succeeds every authenticated request is refused with 503 (fail closed); when a later reload
 * fails the last loaded set stays in force and the loop tries again.
 */
@Injectable()
export class SubjectLockouts implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SubjectLockouts.name);
  private subs: ReadonlySet<string> = new Set();
  private loaded = false;
  private readonly loop = new PollingLoop(
    async () => {
      await this.refresh();
      return 0;
    },
    () => LOCKOUT_REFRESH_MS,
    (e) => this.logger.error(`subject lockouts not reloaded (the last loaded set stays in force): ${e.message}`),
  );

  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh().catch((e: Error) => this.logger.error(`subject lockouts not loaded yet: ${e.message}`));
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** The guard's check: throws 403 `subject_locked_out` for a locked-out subject (503 before the first load). */
  assertAllowed(sub: string): void {
    if (!this.loaded) throw new DomainError(DomainErrorCode.DatabaseUnavailable, 'subject lockouts are not loaded yet; try again shortly');
    if (this.subs.has(sub)) throw subjectLockedOut();
  }

  isLockedOut(sub: string): boolean {
    return this.subs.has(sub);
  }

  /**
   * In the caller's transaction, before it locks or lifts: waits for every other lock or lift in
   * flight (a table lock that conflicts with itself and with inserts and deletes, not with the
   * replicas' reloads), then refuses a caller locked out by now. The guard checks the in-memory
   * set, which lags by up to LOCKOUT_REFRESH_MS: without this two admins opening incidents
   * against each other at once would both pass and lock each other out.
   */
  async assertAllowedInTransaction(sub: string): Promise<void> {
    const m = this.uow.manager();
    await m.query('LOCK TABLE subject_lockouts IN SHARE ROW EXCLUSIVE MODE');
    const rows = (await m.query('SELECT 1 FROM subject_lockouts WHERE sub = $1 LIMIT 1', [sub])) as unknown[];
    if (rows.length > 0) throw subjectLockedOut();
  }

  /** How many lockouts are in force (checked before a new one, in the caller's transaction). */
  async activeCount(): Promise<number> {
    return this.uow.manager().getRepository(SubjectLockoutEntity).count();
  }

  /** Locks `sub` out for `ref`, in the caller's unit of work; this replica reloads as soon as it commits. */
  async lock(ref: string, sub: string, by: string, at: Date): Promise<void> {
    await this.uow.manager().getRepository(SubjectLockoutEntity).insert({ ref, sub, lockedAt: at, lockedBy: by });
    await this.reloadAfterCommit();
  }

  /** Removes the lockout `ref` (the subject stays locked out while another lockout names it). */
  async lift(ref: string): Promise<void> {
    await this.uow.manager().getRepository(SubjectLockoutEntity).delete({ ref });
    await this.reloadAfterCommit();
  }

  /**
   * Reloads once the change is committed, before the caller's response leaves (a reload before
   * the commit would not see the row, leaving the subject in for up to LOCKOUT_REFRESH_MS more
   * on this replica too); when that reload fails the loop tries again at once.
   */
  private async reloadAfterCommit(): Promise<void> {
    const reload = () => this.refresh().catch(() => this.loop.nudge());
    if (!this.uow.afterCommit(reload)) await reload();
  }

  /** Reloads the set (outside any transaction, on the pool). */
  async refresh(): Promise<void> {
    const rows = (await this.dataSource.query('SELECT DISTINCT sub FROM subject_lockouts LIMIT $1', [MAX_ACTIVE_LOCKOUTS])) as { sub: string }[];
    this.subs = new Set(rows.map((r) => r.sub));
    this.loaded = true;
  }
}
