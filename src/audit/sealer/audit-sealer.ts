import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import { AppConfig } from '../../config/index.js';
import { lockKey } from '../../database/advisory-lock.js';
import { type ChainRow, chainHash, GENESIS_HASH } from '../audit-chain.js';
import { ISO_MS } from '../audit-rows.js';

/** Session lock held for its lifetime by the one replica that runs the background sealer. */
export const AUDIT_SEALER_LOCK = 'audit-sealer';
/** Transaction lock of one sealing pass (background or on demand): passes never overlap. */
export const AUDIT_SEAL_LOCK = 'audit-seal';
/** Rows per pass (one transaction, one UPDATE). */
export const SEAL_BATCH = 5000;

/**
 * The rows a pass may seal: every unsealed row this statement can see, i.e. every row whose
 * transaction has committed. There is no watermark on id: a row whose transaction commits later
 * with a lower id (a long transaction, a replica stalled mid-commit) is still unsealed, so the
 * next pass finds it and chains it after whatever was sealed meanwhile. The chain's order is the
 * order of sealing, not of id. An aborted transaction's row never becomes visible: no row, no gap.
 */
const SEALABLE = `SELECT id::text AS id, ${ISO_MS} AS occurred_at, actor, roles, action, outcome, secret_id, secret_name, request_id,
    client_ip, user_agent, details
  FROM audit_events WHERE seq IS NULL ORDER BY id LIMIT $1`;

export interface SealPass {
  sealed: number;
  head: { seq: string; hash: string } | null;
}

/**
 * Assigns the gapless seq, prev_hash and hash to committed audit rows, in the background. Exactly
 * one replica runs the loop: the one holding the session advisory lock `audit-sealer` on a
 * connection of its own (PostgreSQL drops it when that connection or process dies; another
 * replica takes it within AUDIT_SEALER_TAKEOVER_MS). Each pass is one transaction under the
 * transaction lock `audit-seal`, so a pass on demand (verify, export, listing) and the loop never
 * overlap, and a pass killed midway leaves nothing behind. The database refuses a second seal of a
 * row (trigger) and a repeated seq (unique index).
 */
@Injectable()
export class AuditSealer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditSealer.name);
  private leader: QueryRunner | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** Whether this replica currently runs the background sealer. */
  get isLeader(): boolean {
    return this.leader !== undefined;
  }

  onApplicationBootstrap(): void {
    if (!this.config.audit.enabled) return;
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.resign();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((e: Error) => this.logger.error(`audit sealer: ${e.message}`))
        .finally(() => {
          this.running = undefined;
          this.schedule(this.leader ? this.config.auditSeal.intervalMs : this.config.auditSeal.takeoverMs);
        });
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (!this.leader && !(await this.tryLead())) return;
    let pending: boolean;
    try {
      // One cheap query per idle tick, on the lock's own connection: it also proves that
      // connection (and so the lock) is still alive.
      const [row] = (await this.leader!.query('SELECT EXISTS (SELECT 1 FROM audit_events WHERE seq IS NULL) AS pending')) as { pending: boolean }[];
      pending = row!.pending;
    } catch (e) {
      this.logger.warn(`audit sealer lock connection lost: ${(e as Error).message}`);
      await this.resign();
      return;
    }
    if (!pending) return;
    for (;;) {
      const pass = await this.sealPass();
      if (pass.sealed < SEAL_BATCH || this.stopped) return;
    }
  }

  private async tryLead(): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      const [row] = (await runner.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [lockKey(AUDIT_SEALER_LOCK)])) as { ok: boolean }[];
      if (row?.ok) {
        this.leader = runner;
        this.logger.log('this replica now seals the audit log');
        return true;
      }
    } catch (e) {
      this.logger.warn(`audit sealer election: ${(e as Error).message}`);
    }
    await runner.release().catch(() => undefined);
    return false;
  }

  private async resign(): Promise<void> {
    const runner = this.leader;
    this.leader = undefined;
    if (!runner) return;
    await runner.query('SELECT pg_advisory_unlock($1::bigint)', [lockKey(AUDIT_SEALER_LOCK)]).catch(() => undefined);
    await runner.release().catch(() => undefined);
  }

  /** One pass: seals up to SEAL_BATCH committed rows after the current head, in one transaction. */
  sealPass(): Promise<SealPass> {
    return this.dataSource.transaction(async (tx) => {
      // One round trip: bounded lock wait, the seal permission the trigger checks (this
      // transaction only seals), then the pass lock. Every pass is a few statements, whatever its size.
      await tx.query("SELECT set_config('lock_timeout', '10s', true), set_config('strongroom.audit_seal', 'on', true), pg_advisory_xact_lock($1::bigint)", [
        lockKey(AUDIT_SEAL_LOCK),
      ]);
      // Read after the lock: the previous pass's seals are visible, and so is the head it left.
      const rows = (await tx.query(SEALABLE, [SEAL_BATCH])) as (Omit<ChainRow, 'seq' | 'prev_hash' | 'hash'> & { id: string })[];
      if (rows.length === 0) return { sealed: 0, head: null };
      const { anchor, signedSeq } = await sealedHead(tx);
      // Never chain new rows onto a cut chain: that would turn "the newest rows were removed"
      // into a rewrite and bury the evidence. The rows wait; verification reports the cut.
      if (signedSeq && BigInt(anchor?.seq ?? '0') < BigInt(signedSeq)) {
        throw new Error(`the sealed chain ends at seq ${anchor?.seq ?? 0}, before the signed head ${signedSeq}: rows were removed; not sealing`);
      }
      let seq = anchor ? BigInt(anchor.seq) : 0n;
      let prev = anchor?.hash ?? GENESIS_HASH;
      const seals = rows.map(({ id, ...fields }) => {
        seq += 1n;
        const row: Omit<ChainRow, 'hash'> = { ...fields, seq: seq.toString(), prev_hash: prev };
        const hash = chainHash(prev, row);
        const seal = { id, seq: row.seq, prev_hash: prev, hash };
        prev = hash;
        return seal;
      });
      const [done] = (await tx.query(
        `WITH s AS (
           UPDATE audit_events a SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
           FROM json_to_recordset($1::json) AS v(id bigint, seq bigint, prev_hash text, hash text)
           WHERE a.id = v.id AND a.seq IS NULL RETURNING 1)
         SELECT count(*)::int AS n FROM s`,
        [JSON.stringify(seals)],
      )) as { n: number }[];
      if (done!.n !== seals.length) throw new Error(`sealed ${done!.n} of ${seals.length} rows; pass rolled back`);
      return { sealed: seals.length, head: { seq: seq.toString(), hash: prev } };
    });
  }

  /**
   * Seals, on any replica, every row committed before this call (each pass reads what has
   * committed when it starts), then returns. Rows of transactions still open stay unsealed;
   * callers report how many. A failure is logged, never thrown: what is sealed stays sealed.
   */
  async sealNow(): Promise<void> {
    if (!this.config.audit.enabled) return;
    try {
      for (;;) {
        const pass = await this.sealPass();
        if (pass.sealed < SEAL_BATCH) return;
      }
    } catch (e) {
      this.logger.error(`audit seal on demand: ${(e as Error).message}`);
    }
  }

  /** Rows written but not yet sealed. */
  async unsealed(db: Pick<EntityManager, 'query'> = this.dataSource): Promise<number> {
    const [row] = (await db.query('SELECT count(*)::int AS n FROM audit_events WHERE seq IS NULL')) as { n: number }[];
    return row!.n;
  }
}

/**
 * The newest sealed row, and the newest signed head (one round trip). With no sealed row left
 * (retention never prunes the head row, but a restore might), the chain continues from the prune
 * checkpoint's head: same hash, next seq.
 */
async function sealedHead(tx: EntityManager): Promise<{ anchor: { seq: string; hash: string } | undefined; signedSeq: string | null }> {
  const [row] = (await tx.query(
    `SELECT h.seq::text AS seq, h.hash, (SELECT max(head_seq)::text FROM audit_checkpoints) AS signed_seq
     FROM (SELECT 1) AS one
     LEFT JOIN LATERAL (SELECT seq, hash FROM audit_events WHERE seq IS NOT NULL ORDER BY audit_events.seq DESC LIMIT 1) h ON true`,
  )) as { seq: string | null; hash: string | null; signed_seq: string | null }[];
  const signedSeq = row?.signed_seq ?? null;
  if (row?.seq && row.hash) return { anchor: { seq: row.seq, hash: row.hash }, signedSeq };
  const [cp] = (await tx.query(
    "SELECT head_seq::text AS seq, head_hash AS hash FROM audit_checkpoints WHERE kind = 'prune' ORDER BY id DESC LIMIT 1",
  )) as { seq: string; hash: string }[];
  return { anchor: cp, signedSeq };
}
