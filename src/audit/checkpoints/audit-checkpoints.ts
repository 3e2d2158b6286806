import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../../clock/clock.js';
import type { ChainHead } from '../audit-rows.js';
import type { SignedCheckpoint } from '../checkpoint-signature.js';
import { AuditCheckpointEntity } from '../entities/audit-checkpoint.entity.js';
import { AuditSigner } from './audit-signer.js';

export function toSignedCheckpoint(e: AuditCheckpointEntity): SignedCheckpoint {
  return {
    id: String(e.id),
    kind: e.kind,
    created_at: e.createdAt.toISOString(),
    head_seq: String(e.headSeq),
    head_hash: e.headHash,
    first_seq: e.firstSeq === null ? null : String(e.firstSeq),
    first_prev_hash: e.firstPrevHash,
    key_id: e.keyId,
    signature: e.signature,
  };
}

/** Storage of signed checkpoints (audit_checkpoints). */
@Injectable()
export class AuditCheckpoints {
  constructor(
    private readonly dataSource: DataSource,
    private readonly signer: AuditSigner,
    private readonly clock: Clock,
  ) {}

  /** Signs and stores "the chain's head is `head`" (and, for a prune, where the chain now starts). */
  async write(
    kind: 'periodic' | 'prune',
    head: ChainHead,
    first: { seq: string; prevHash: string } | null = null,
    tx: EntityManager = this.dataSource.manager,
  ): Promise<SignedCheckpoint> {
    const fields = {
      kind,
      created_at: this.clock.now().toISOString(),
      head_seq: head.seq,
      head_hash: head.hash,
      first_seq: first?.seq ?? null,
      first_prev_hash: first?.prevHash ?? null,
    };
    const entity = tx.getRepository(AuditCheckpointEntity).create({
      kind,
      createdAt: new Date(fields.created_at),
      headSeq: head.seq,
      headHash: head.hash,
      firstSeq: fields.first_seq,
      firstPrevHash: fields.first_prev_hash,
      keyId: this.signer.keyId,
      signature: this.signer.sign(fields),
    });
    return toSignedCheckpoint(await tx.getRepository(AuditCheckpointEntity).save(entity));
  }

  /** The checkpoint of this key covering the most rows (what truncation is judged against). */
  async latest(tx: EntityManager = this.dataSource.manager): Promise<SignedCheckpoint | null> {
    const e = await tx
      .getRepository(AuditCheckpointEntity)
      .createQueryBuilder('c')
      .where('c.key_id = :key', { key: this.signer.keyId })
      .orderBy('c.headSeq', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(1)
      .getOne();
    return e ? toSignedCheckpoint(e) : null;
  }

  /** The newest retention cut, whatever key signed it (a foreign key makes verification fail). */
  async latestPrune(tx: EntityManager = this.dataSource.manager): Promise<SignedCheckpoint | null> {
    const e = await tx
      .getRepository(AuditCheckpointEntity)
      .createQueryBuilder('c')
      .where("c.kind = 'prune'")
      .orderBy('c.firstSeq', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(1)
      .getOne();
    return e ? toSignedCheckpoint(e) : null;
  }

  /** Checkpoints with low <= head_seq <= upto, in id order, a batch at a time (for the export). */
  async batch(afterId: string, low: string, upto: string, maxId: string, limit: number): Promise<SignedCheckpoint[]> {
    const rows = await this.dataSource
      .getRepository(AuditCheckpointEntity)
      .createQueryBuilder('c')
      .where('c.id > :afterId AND c.id <= :maxId AND c.head_seq BETWEEN :low AND :upto', { afterId, maxId, low, upto })
      .orderBy('c.id', 'ASC')
      .limit(limit)
      .getMany();
    return rows.map(toSignedCheckpoint);
  }

  async maxId(): Promise<string> {
    const [row] = (await this.dataSource.query('SELECT coalesce(max(id), 0)::text AS id FROM audit_checkpoints')) as { id: string }[];
    return row!.id;
  }
}
