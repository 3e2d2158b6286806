import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { decodeKeysetCursor, encodeKeysetCursor } from '../common/keyset-cursor.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { ReportEntity } from './entities/report.entity.js';
import type { ComplianceStandard, ReportKind, StrongroomReport } from './reports.types.js';

/** The `reports` table: one row per stored report, its document in jsonb. */
@Injectable()
export class ReportsRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(tx: EntityManager, doc: StrongroomReport, generatedBy: string, dedupKey: string): Promise<ReportEntity> {
    const row = tx.getRepository(ReportEntity).create({
      id: doc.id,
      kind: doc.kind,
      standard: doc.standard ?? null,
      periodFrom: new Date(doc.period.from),
      periodTo: new Date(doc.period.to),
      generatedAt: new Date(doc.generated_at),
      generatedBy: generatedBy.slice(0, 256),
      sha256: doc.integrity.sha256,
      signature: doc.integrity.signature,
      keyId: doc.integrity.key_id,
      dedupKey,
      document: doc as unknown as Record<string, unknown>,
    });
    await tx.getRepository(ReportEntity).insert(row as QueryDeepPartialEntity<ReportEntity>);
    return row;
  }

  findById(id: string): Promise<ReportEntity | null> {
    return this.uow.manager().getRepository(ReportEntity).findOneBy({ id });
  }

  /** Only the kind of a stored report (not its document), or null when there is none. */
  async kindOf(id: string): Promise<ReportEntity['kind'] | null> {
    const row = await this.uow.manager().getRepository(ReportEntity).findOne({ select: { id: true, kind: true }, where: { id } });
    return row?.kind ?? null;
  }

  findByDedupKey(key: string): Promise<ReportEntity | null> {
    return this.uow.manager().getRepository(ReportEntity).findOneBy({ dedupKey: key });
  }

  /** The newest stored report of a kind (and standard). */
  latest(kind: ReportKind, standard?: ComplianceStandard): Promise<ReportEntity | null> {
    return this.uow
      .manager()
      .getRepository(ReportEntity)
      .findOne({ where: { kind, ...(standard ? { standard } : {}) }, order: { generatedAt: 'DESC', id: 'DESC' } });
  }

  /**
   * Newest first, keyset-paginated on (generated_at, id). Of the document only the security score
   * is read (one jsonb path), so the console's score trend needs no download of each report.
   */
  async list(
    filter: { kind?: ReportKind; standard?: ComplianceStandard },
    limit: number,
    cursor?: string,
  ): Promise<{ rows: Array<{ report: ReportEntity; securityScore: number | null }>; next: string | null }> {
    const qb = this.uow
      .manager()
      .getRepository(ReportEntity)
      .createQueryBuilder('r')
      .select(['r.id', 'r.kind', 'r.standard', 'r.periodFrom', 'r.periodTo', 'r.generatedAt', 'r.generatedBy', 'r.sha256', 'r.keyId'])
      .addSelect("r.document -> 'metrics' -> 'security_score'", 'security_score')
      .orderBy('r.generated_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(limit + 1);
    if (filter.kind) qb.andWhere('r.kind = :kind', { kind: filter.kind });
    if (filter.standard) qb.andWhere('r.standard = :standard', { standard: filter.standard });
    if (cursor) {
      const pos = decodeCursor(cursor);
      qb.andWhere('(r.generated_at, r.id) < (:at::timestamptz, :id)', { at: pos.at, id: pos.id });
    }
    // No join: raw rows and entities correspond one to one, in order.
    const { entities, raw } = await qb.getRawAndEntities<{ security_score: unknown }>();
    const rows = entities.map((report, i) => {
      const score = raw[i]?.security_score;
      return { report, securityScore: typeof score === 'number' ? score : null };
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1]?.report;
    return { rows: page, next: rows.length > limit && last ? encodeCursor(last.generatedAt.toISOString(), last.id) : null };
  }
}

function encodeCursor(at: string, id: string): string {
  return encodeKeysetCursor(at, id);
}

function decodeCursor(cursor: string): { at: string; id: string } {
  return decodeKeysetCursor(cursor);
}
