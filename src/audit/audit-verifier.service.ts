import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AlertKind } from '../alerts/alert.types.js';
import { SecurityAlerts } from '../alerts/security-alerts.js';
import { advisoryXactLock, withTryAdvisoryLock } from '../database/advisory-lock.js';
import { Metrics } from '../metrics/metrics.service.js';
import { type ChainVerdict, ChainVerifier, GENESIS_HASH } from './audit-chain.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import { type ChainHead, chainHead, rowHash } from './audit-rows.js';
import { walkChain } from './chain-walk.js';
import type { SignedCheckpoint } from './checkpoint-signature.js';
import { AuditCheckpoints } from './checkpoints/audit-checkpoints.js';
import { AuditSigner } from './checkpoints/audit-signer.js';
import { SecurityFindings } from './findings/security-findings.service.js';
import { AuditSealer } from './sealer/audit-sealer.js';

type Verdict = ChainVerdict & { head?: ChainHead };

/** A verdict on the sealed chain, with the rows still waiting to be sealed at that moment. */
export type AuditVerdict = ChainVerdict & { unsealed: number };

/** Serialises checkpoint writes across the fleet: never two checkpoints for the same head. */
const CHECKPOINT_WRITE_LOCK = 'audit-checkpoint-write';

const invalid = (checked: number, id: string | null, reason: string): Verdict => ({ valid: false, checked, first_invalid_id: id, reason });

/**
 * Checks the chain stored in PostgreSQL, streaming through it in batches (chain-walk.ts):
 *  - `verifyChain()` (GET /audit/verify, retention): every row from the start of the chain (genesis
 *    or the newest prune cut) to the head, then the newest checkpoint: its head row must still be
 *    there with the signed hash. A valid chain is then checkpointed.
 *  - `checkpointHead()` (every few minutes, before an export): only the rows since the newest
 *    checkpoint, which must still match; then signs the new head.
 * Any failure sets `audit_chain_valid` to 0, records an audit_chain_broken finding and raises an
 * alert; only a full verification sets the gauge back to 1.
 */
@Injectable()
export class AuditVerifier {
  private readonly logger = new Logger(AuditVerifier.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    private readonly checkpoints: AuditCheckpoints,
    private readonly signer: AuditSigner,
    private readonly metrics: Metrics,
    private readonly alerts: SecurityAlerts,
    private readonly findings: SecurityFindings,
    private readonly sealer: AuditSealer,
  ) {}

  /**
   * Seals what has committed, then verifies the whole sealed chain; the verdict is stored (the
   * fleet's audit_chain_valid gauge is computed from it) with the rows still unsealed.
   */
  async verifyChain(): Promise<AuditVerdict> {
    await this.audit.flush();
    await this.sealer.sealNow();
    const { head, ...chain } = await this.checkFullStable();
    const verdict = { ...chain, unsealed: await this.sealer.unsealed() };
    await this.store('full', verdict, head);
    this.metrics.setAuditChainValid(verdict.valid);
    if (!verdict.valid) await this.reportBroken(verdict);
    else if (head) await this.checkpointIfNew(head);
    return verdict;
  }

  /** Seconds since the newest stored full verification (null when there was none). */
  async lastFullVerificationAgeSeconds(): Promise<number | null> {
    const [row] = (await this.dataSource.query(
      "SELECT extract(epoch FROM now() - max(verified_at))::float8 AS age FROM audit_verifications WHERE kind = 'full'",
    )) as { age: number | null }[];
    return row?.age ?? null;
  }

  private async store(kind: 'full' | 'incremental', v: AuditVerdict, head: ChainHead | undefined): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO audit_verifications (kind, verified_at, valid, checked, head_seq, unsealed, first_invalid_id, reason)
       VALUES ($1, now(), $2, $3, $4, $5, $6, $7)`,
      [kind, v.valid, v.checked, head?.seq ?? null, v.unsealed, v.first_invalid_id, v.reason],
    );
  }

  /**
   * Verifies the rows written since the newest checkpoint and signs the current head. Returns
   * the new checkpoint, or null when nothing changed, another replica is at it, or the chain is
   * broken (then reported).
   */
  async checkpointHead(): Promise<SignedCheckpoint | null> {
    await this.audit.flush();
    await this.sealer.sealNow();
    const outcome = await withTryAdvisoryLock(this.dataSource, 'audit-checkpoint', async () => {
      const verdict = await this.checkSinceCheckpoint();
      if (!verdict.valid) {
        await this.store('incremental', { ...verdict, unsealed: await this.sealer.unsealed() }, undefined);
        this.metrics.setAuditChainValid(false);
        await this.reportBroken(verdict);
        return null;
      }
      return verdict.head ? this.checkpointIfNew(verdict.head) : null;
    });
    return outcome.acquired ? outcome.result : null;
  }

  /** Under one fleet-wide lock, so two replicas never sign the same head twice. */
  private checkpointIfNew(head: ChainHead): Promise<SignedCheckpoint | null> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query("SET LOCAL lock_timeout = '10s'");
      await advisoryXactLock(tx, CHECKPOINT_WRITE_LOCK);
      const latest = await this.checkpoints.latest(tx);
      if (latest && BigInt(latest.head_seq) >= BigInt(head.seq)) return null;
      return this.checkpoints.write('periodic', head, null, tx);
    });
  }

  /** Where the chain must start: the newest (trusted) prune cut, or genesis. */
  private async start(): Promise<{ seq: string; prevHash: string } | Verdict> {
    const prune = await this.checkpoints.latestPrune();
    if (!prune) return { seq: '1', prevHash: GENESIS_HASH };
    if (prune.key_id !== this.signer.keyId) {
      return invalid(0, null, `prune checkpoint #${prune.id} is signed by another key (${prune.key_id}); verify offline with that key`);
    }
    if (!this.signer.trusts(prune)) return invalid(0, null, `prune checkpoint #${prune.id} has an invalid signature: checkpoints were forged or edited`);
    return { seq: prune.first_seq!, prevHash: prune.first_prev_hash! };
  }

  /** checkFull, again if retention moved the start of the chain while it was being walked. */
  private async checkFullStable(): Promise<Verdict> {
    for (let attempt = 1; ; attempt++) {
      const before = (await this.checkpoints.latestPrune())?.id ?? null;
      const verdict = await this.checkFull();
      if (verdict.valid || attempt === 3) return verdict;
      if (((await this.checkpoints.latestPrune())?.id ?? null) === before) return verdict;
    }
  }

  private async checkFull(): Promise<Verdict> {
    const start = await this.start();
    if ('valid' in start) return start;
    // The checkpoint is read before the head, so the head read afterwards is at or past it.
    const cp = await this.checkpoints.latest();
    if (cp && !this.signer.trusts(cp)) return invalid(0, null, `checkpoint #${cp.id} has an invalid signature: checkpoints were forged or edited`);
    const head = await chainHead(this.dataSource);

    const chain = new ChainVerifier(start);
    let cpRowHash: string | undefined;
    if (head && BigInt(head.seq) >= BigInt(start.seq)) {
      cpRowHash = (await walkChain(this.dataSource, chain, start.seq, head.seq, cp?.head_seq ?? null)).watched;
    }
    const verdict = chain.verdict();
    if (!verdict.valid) return verdict;
    if (cp && BigInt(cp.head_seq) >= BigInt(start.seq)) {
      const end = chain.lastSeq ? BigInt(chain.lastSeq) : BigInt(start.seq) - 1n;
      if (end < BigInt(cp.head_seq)) {
        return invalid(
          verdict.checked,
          (end + 1n).toString(),
          `the chain ends at seq ${end} but checkpoint #${cp.id} (signed ${cp.created_at}) covers rows up to seq ${cp.head_seq}: the newest rows were removed`,
        );
      }
      if (cpRowHash !== cp.head_hash) {
        return invalid(verdict.checked, cp.head_seq, `row ${cp.head_seq} differs from signed checkpoint #${cp.id}: the chain was rewritten`);
      }
    }
    return { ...verdict, head: chain.lastSeq ? { seq: chain.lastSeq, hash: chain.lastHash } : undefined };
  }

  private async checkSinceCheckpoint(): Promise<Verdict> {
    const cp = await this.checkpoints.latest();
    if (!cp) return this.checkFullStable();
    if (!this.signer.trusts(cp)) return invalid(0, null, `checkpoint #${cp.id} has an invalid signature: checkpoints were forged or edited`);
    const head = await chainHead(this.dataSource);
    const atCheckpoint = await rowHash(this.dataSource, cp.head_seq);
    if (atCheckpoint === null || !head || BigInt(head.seq) < BigInt(cp.head_seq)) {
      const end = head ? head.seq : 'no row';
      return invalid(0, cp.head_seq, `row ${cp.head_seq}, the head of checkpoint #${cp.id}, is gone (the chain ends at ${end}): rows were removed`);
    }
    if (atCheckpoint !== cp.head_hash) {
      return invalid(0, cp.head_seq, `row ${cp.head_seq} differs from signed checkpoint #${cp.id}: the chain was rewritten`);
    }
    const next = (BigInt(cp.head_seq) + 1n).toString();
    const chain = new ChainVerifier({ seq: next, prevHash: cp.head_hash });
    if (BigInt(head.seq) >= BigInt(next)) await walkChain(this.dataSource, chain, next, head.seq);
    const verdict = chain.verdict();
    if (!verdict.valid) return verdict;
    return { ...verdict, head: chain.lastSeq ? { seq: chain.lastSeq, hash: chain.lastHash } : { seq: cp.head_seq, hash: cp.head_hash } };
  }

  private async reportBroken(verdict: ChainVerdict): Promise<void> {
    this.logger.error(`audit chain invalid at ${verdict.first_invalid_id ?? '-'}: ${verdict.reason}`);
    const fingerprint = createHash('sha256').update(`${verdict.first_invalid_id}\n${verdict.reason}`).digest('hex').slice(0, 32);
    const details = { first_invalid_id: verdict.first_invalid_id, reason: verdict.reason, checked: verdict.checked };
    const summary = `Audit chain broken at ${verdict.first_invalid_id ? `seq ${verdict.first_invalid_id}` : 'its checkpoints'}: ${verdict.reason}`;
    await this.alerts
      .raise({ kind: AlertKind.AuditChainBroken, severity: 'critical', summary, details, dedupeKey: `audit_chain_broken:${fingerprint}` })
      .catch((e: Error) => this.logger.error(`audit_chain_broken alert failed: ${e.message}`));
    await this.findings
      .record({ kind: 'audit_chain_broken', severity: 'critical', summary, details, dedupeKey: `audit_chain_broken:${fingerprint}` })
      .catch((e: Error) => this.logger.error(`audit_chain_broken finding failed: ${e.message}`));
  }
}
