import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '../database/unit-of-work.js';
import { AccessPoliciesVersionEntity } from './entities/access-policy-version.entity.js';
import { readPolicies } from './policies.queries.js';
import type { Policy } from './policy-evaluation.js';

/** How long a replica trusts its cached policies before reading the version row again. */
export const POLICY_RECHECK_MS = 1_000;


/**
 * Every policy, in memory, per replica. A caller gets them after at most one primary-key read of
 * `access_policies_version` per second (and the whole table only when that version moved), so a
 * change made on any replica is in force everywhere within about a second. Polling the one row,
 * not LISTEN/NOTIFY, because it needs no dedicated connection: the embedded database serves one
 * backend, and a pooled connection is never held. A change on this replica marks the cache stale
 * so the next caller here rechecks at once.
 */
@Injectable()
export class PolicyCache {
  private policies: Policy[] = [];
  private version: string | undefined;
  private checkedAt = 0;
  private stale = true;
  private inflight: Promise<void> | undefined;

  constructor(private readonly uow: UnitOfWork) {}

  async current(): Promise<readonly Policy[]> {
    if (!this.stale && Date.now() - this.checkedAt < POLICY_RECHECK_MS) return this.policies;
    this.inflight ??= this.refresh().finally(() => (this.inflight = undefined));
    await this.inflight;
    return this.policies;
  }

  /** Called by a change on this replica (after its version bump). */
  invalidate(): void {
    this.stale = true;
  }

  private async refresh(): Promise<void> {
    this.stale = false;
    const tx = this.uow.manager();
    const row = await tx.getRepository(AccessPoliciesVersionEntity).findOneBy({ id: 1 });
    const version = row?.version ?? '0';
    if (version !== this.version) {
      this.policies = await readPolicies(tx);
      this.version = version;
    }
    this.checkedAt = Date.now();
  }
}
