import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditLog } from '../audit-log/audit-log.service.js';
import { AuditVerifier } from '../audit/audit-verifier.service.js';
import { annotateAudit, auditOrigin } from '../audit-log/audit-scope.js';
import type { Actor } from '../auth/auth.types.js';
import { Clock } from '../clock/clock.js';
import { AppConfig } from '../config/index.js';
import { withTryAdvisoryLock } from '../database/advisory-lock.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { TaskRunner } from '../tasks/task-runner.js';
import { TasksService } from '../tasks/tasks.service.js';
import { accessReviewReport } from './access-review/access-review.js';
import { annualReport } from './annual/annual-report.js';
import { complianceReport } from './compliance/compliance-report.js';
import { inDocumentOrder, jsonSafe } from './document-parts.js';
import type { GenerateReportResponseDto } from './dto/generate-report-response.dto.js';
import type { GenerateReportDto, ListReportsQuery } from './dto/report-requests.dto.js';
import { type ReportListDto, ReportSummaryDto } from './dto/report-summary.dto.js';
import type { ReportEntity } from './entities/report.entity.js';
import { ReportSigner } from './report-signer.js';
import { documentPeriod, monthToDate, requestedPeriod } from './report-period.js';
import { GenerationSlots } from './generation-slots.js';
import { reportDedupKey } from './report-dedup.js';
import { generationBusy, reportNotFound, standardNotApplicable, standardRequired, storedReportUnreadable } from './reports.errors.js';
import { ReportsRepository } from './reports.repository.js';
import { type ComplianceStandard, REPORT_SCHEMA, type ReportBody, type ReportSpec, type StrongroomReport } from './reports.types.js';
import { securityReport } from './security/security-report.js';
import { IncidentsService } from '../incidents/incidents.service.js';

export const REPORT_TASK = 'generate_report';

/** Above these sizes POST /reports generates in the background (security and compliance verify the whole audit chain). */
export const INLINE_LIMITS = { secrets: 20_000, auditEvents: 200_000 } as const;

const newReportId = () => `rpt_${randomBytes(12).toString('base64url')}`;

/** Who a report is generated for, in its row and audit row. */
export interface Requester {
  sub: string;
  roles: string[];
}

/** A stored report, and whether this call generated it (false: it was already stored, or another caller made it). */
export interface ObtainedReport {
  entity: ReportEntity;
  doc: StrongroomReport;
  generated: boolean;
}

export interface ObtainOptions {
  /** How long to wait for a generation slot or for another replica's generation (default REPORT_GENERATION_WAIT_SECONDS). */
  waitMs?: number;
  /** Runs in the transaction that stores the report, or in one of its own when the report was already stored. */
  inTransaction?: (tx: EntityManager, reportId: string) => Promise<void>;
}

/** Jobs and background tasks are not in a hurry: they wait longer for a slot than a request does. */
export const BACKGROUND_WAIT_MS = 10 * 60_000;
const RETRY_AFTER_SECONDS = 5;

/**
 * Report use cases: figures come from SQL aggregation (see the *.queries.ts files), builders lay
 * them out as a document, the signer seals it (SHA-256 + Ed25519 over the canonical JSON), and
 * the repository stores it. Figures are read outside any transaction (the audit-chain check alone
 * walks every audit row on connections of its own); only the insert and its audit row are one.
 */
@Injectable()
export class ReportsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly repo: ReportsRepository,
    private readonly signer: ReportSigner,
    private readonly chain: AuditVerifier,
    private readonly audit: AuditLog,
    private readonly tasks: TasksService,
    private readonly runner: TaskRunner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly incidents: IncidentsService,
  ) {
    this.slots = new GenerationSlots(config.reportGeneration.concurrency);
  }

  private readonly slots: GenerationSlots;
  /** Generations running in this replica by dedup key: a second caller joins the first. */
  private readonly inFlight = new Map<string, Promise<ObtainedReport>>();

  // ----- building -------------------------------------------------------------------------------

  private body(spec: ReportSpec, now: Date): Promise<ReportBody> {
    const db = this.uow.manager();
    switch (spec.kind) {
      case 'security':
        return securityReport(db, spec.period, now, this.chain, this.incidents);
      case 'compliance':
        return complianceReport(db, spec.standard!, spec.period, now, this.chain, this.config.audit.enabled);
      case 'access_review':
        return accessReviewReport(db, spec.period, now);
      case 'annual':
        return annualReport(db, spec.period);
    }
  }

  /** Builds and seals a report (nothing stored). */
  async compose(spec: ReportSpec, now = this.clock.now()): Promise<StrongroomReport> {
    // Inside a transaction the chain check would wait for it (embedded database): refuse early.
    if (this.uow.inTransaction) throw new Error('reports are generated outside a transaction');
    const body = await this.body(spec, now);
    const doc = jsonSafe<Omit<StrongroomReport, 'integrity'> & { integrity: StrongroomReport['integrity'] }>({
      id: newReportId(),
      schema: REPORT_SCHEMA,
      kind: spec.kind,
      ...(spec.standard ? { standard: spec.standard } : {}),
      title: body.title,
      ...(body.subtitle ? { subtitle: body.subtitle } : {}),
      period: documentPeriod(spec.period),
      generated_at: now.toISOString(),
      integrity: { sha256: '', signature: '', key_id: '' },
      summary: body.summary,
      ...(body.score ? { score: body.score } : {}),
      metrics: body.metrics,
      sections: body.sections,
    });
    return this.signer.seal<StrongroomReport>(doc);
  }

  /**
   * The one way a report is generated (POST /reports, GET /secrets/audit/report, the scheduled
   * jobs, background tasks): at most one stored report per dedup key (kind, standard, period; see
   * report-dedup.ts). A stored one is returned as it is; callers in this replica asking for the
   * same key share one generation; across the fleet a session advisory lock on the key makes one
   * replica generate while the others wait for its row; and at most REPORT_GENERATION_CONCURRENCY
   * generations run per replica. A wait that runs out is a 429 with Retry-After.
   */
  async obtain(spec: ReportSpec, key: string, by: Requester, options: ObtainOptions = {}): Promise<ObtainedReport> {
    const stored = await this.repo.findByDedupKey(key);
    if (stored) return this.reuse(stored, options);
    // A caller with its own transactional work (a task item) cannot join someone else's commit.
    if (options.inTransaction) return this.generateOnce(spec, key, by, options);
    const running = this.inFlight.get(key);
    if (running) return { ...(await running), generated: false };
    const work = this.generateOnce(spec, key, by, options);
    this.inFlight.set(key, work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async generateOnce(spec: ReportSpec, key: string, by: Requester, options: ObtainOptions): Promise<ObtainedReport> {
    // Real time, not the service clock: this bounds how long a caller waits.
    const deadline = Date.now() + (options.waitMs ?? this.config.reportGeneration.waitSeconds * 1000);
    if (!(await this.slots.acquire(deadline))) throw generationBusy(RETRY_AFTER_SECONDS);
    try {
      for (;;) {
        const outcome = await withTryAdvisoryLock(this.dataSource, `report:${key}`, async () => {
          const stored = await this.repo.findByDedupKey(key);
          if (stored) return this.reuse(stored, options);
          try {
            return { ...(await this.generate(spec, by, key, options.inTransaction)), generated: true };
          } catch (e) {
            // The unique key is the last word should anything store the same report unlocked.
            const again = isUniqueViolation(e) ? await this.repo.findByDedupKey(key) : null;
            if (again) return this.reuse(again, options);
            throw e;
          }
        });
        if (outcome.acquired) return outcome.result;
        // Another replica is generating this very report: wait for its row.
        const stored = await this.repo.findByDedupKey(key);
        if (stored) return this.reuse(stored, options);
        if (Date.now() >= deadline) throw generationBusy(RETRY_AFTER_SECONDS);
        await new Promise((r) => setTimeout(r, Math.max(0, Math.min(200, deadline - Date.now()))));
      }
    } finally {
      this.slots.release();
    }
  }

  private async reuse(row: ReportEntity, options: ObtainOptions): Promise<ObtainedReport> {
    if (options.inTransaction) await this.uow.run((tx) => options.inTransaction!(tx, row.id));
    return { entity: row, doc: this.documentOf(row), generated: false };
  }

  /**
   * Generates and stores a report. The figures are read outside any transaction (the chain
   * verification alone may walk millions of rows); the report row and its `report.generated`
   * audit row then commit together, with `inTransaction` (a task item's completion) if given.
   */
  private async generate(
    spec: ReportSpec,
    by: Requester,
    key: string,
    inTransaction?: (tx: EntityManager, reportId: string) => Promise<void>,
  ): Promise<{ entity: ReportEntity; doc: StrongroomReport }> {
    const doc = await this.compose(spec);
    const details = {
      report_id: doc.id,
      kind: doc.kind,
      standard: doc.standard ?? null,
      period_from: doc.period.from,
      period_to: doc.period.to,
      sha256: doc.integrity.sha256,
    };
    const entity = await this.uow.run(async (tx) => {
      const row = await this.repo.insert(tx, doc, by.sub, key);
      const origin = auditOrigin() ?? { actor: by.sub, roles: by.roles };
      await this.audit.record({ ...origin, action: AuditAction.ReportGenerated, outcome: 'success', details });
      await inTransaction?.(tx, doc.id);
      return row;
    });
    return { entity, doc };
  }

  // ----- HTTP use cases -------------------------------------------------------------------------

  /** POST /reports: generates now, or queues a background task for large inventories (or when asked). */
  async request(dto: GenerateReportDto, actor: Actor): Promise<GenerateReportResponseDto> {
    if (dto.kind === 'compliance' && !dto.standard) throw standardRequired();
    if (dto.kind !== 'compliance' && dto.standard) throw standardNotApplicable();
    const now = this.clock.now();
    const spec: ReportSpec = { kind: dto.kind, standard: dto.standard, period: requestedPeriod(dto.kind, now, dto.from, dto.to) };
    // The security report's default period starts 24 h before now: it rolls.
    const key = reportDedupKey(spec, now, spec.kind === 'security' && dto.from === undefined);
    const stored = await this.repo.findByDedupKey(key);
    if (stored) {
      annotateAudit({ details: { report_id: stored.id, generated: false } });
      return { status: 'completed', report: ReportSummaryDto.from(stored), deduplicated: true };
    }
    if (dto.background || (await this.isLarge(spec))) {
      const accepted = await this.tasks.create(
        REPORT_TASK,
        {
          kind: spec.kind,
          standard: spec.standard ?? null,
          from: spec.period.from.toISOString(),
          to: spec.period.to.toISOString(),
          roles: actor.roles,
          dedup_key: key,
        },
        [spec.kind],
        actor.sub,
      );
      this.runner.nudge();
      annotateAudit({ details: { kind: spec.kind, background: true } });
      return { status: 'pending', task_id: accepted.task_id, status_url: accepted.status_url };
    }
    const { entity, generated } = await this.obtain(spec, key, actor);
    annotateAudit({ details: { report_id: entity.id, generated } });
    return { status: 'completed', report: ReportSummaryDto.from(entity), deduplicated: !generated };
  }

  private async isLarge(spec: ReportSpec): Promise<boolean> {
    if (spec.kind === 'annual') return false;
    const [r] = (await this.uow
      .manager()
      .query('SELECT (SELECT count(*) FROM secrets WHERE deleted_at IS NULL) AS secrets, (SELECT count(*) FROM audit_events) AS events')) as {
      secrets: string;
      events: string;
    }[];
    return Number(r?.secrets) > INLINE_LIMITS.secrets || Number(r?.events) > INLINE_LIMITS.auditEvents;
  }

  /**
   * GET /secrets/audit/report (the spec's route, so a GET that may store): the latest stored
   * security report; with generate_new=true the one of the current period (the rolling 24 h,
   * keyed by the hour), generated only if this hour has none yet. Same path as POST /reports.
   */
  async securityReport(generateNew: boolean, actor: Actor): Promise<StrongroomReport> {
    if (!generateNew) {
      const latest = await this.repo.latest('security');
      if (latest) {
        annotateAudit({ details: { report_id: latest.id } });
        return this.documentOf(latest);
      }
    }
    const now = this.clock.now();
    const spec: ReportSpec = { kind: 'security', period: requestedPeriod('security', now) };
    const { doc, generated } = await this.obtain(spec, reportDedupKey(spec, now, true), actor);
    annotateAudit({ details: { report_id: doc.id, generated } });
    return doc;
  }

  /**
   * GET /reports/compliance: the month to date, through the same path as POST /reports, so what an
   * auditor is handed has a stable id and is stored (GET /reports/{id} serves it again): generated
   * at most once per standard and hour (the dedup key of a period reaching now), then reused.
   */
  async currentCompliance(standard: ComplianceStandard, actor: Actor): Promise<StrongroomReport> {
    const now = this.clock.now();
    const spec: ReportSpec = { kind: 'compliance', standard, period: monthToDate(now) };
    const { doc, generated } = await this.obtain(spec, reportDedupKey(spec, now), actor);
    annotateAudit({ details: { report_id: doc.id, kind: 'compliance', standard, generated } });
    return doc;
  }

  async list(q: ListReportsQuery): Promise<ReportListDto> {
    const { rows, next } = await this.repo.list({ kind: q.kind, standard: q.standard }, q.limit ?? 50, q.cursor);
    annotateAudit({ details: { count: rows.length } });
    return { items: rows.map((r) => ReportSummaryDto.from(r.report, r.securityScore)), next_cursor: next };
  }

  async get(id: string): Promise<StrongroomReport> {
    const row = await this.repo.findById(id);
    if (!row) throw reportNotFound(id);
    annotateAudit({ details: { report_id: id, kind: row.kind } });
    return this.documentOf(row);
  }

  /** The stored document, its members back in document order (jsonb sorts object keys). */
  private documentOf(row: ReportEntity): StrongroomReport {
    const doc = row.document as unknown as StrongroomReport;
    if (!doc || typeof doc !== 'object' || !Array.isArray(doc.sections) || !doc.integrity) throw storedReportUnreadable(row.id);
    return inDocumentOrder(doc);
  }
}

const isUniqueViolation = (e: unknown) => e instanceof QueryFailedError && (e.driverError as { code?: string } | undefined)?.code === '23505';
