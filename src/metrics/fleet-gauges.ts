import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { JOB_NAMES } from '../config/index.js';
import { SecretStores } from '../secrets/store/secret-stores.js';
import { MetricName } from './metric-names.js';
import { Metrics } from './metrics.service.js';

interface FleetSnapshot {
  byTypeStore: { secret_type: string; store: string; n: number }[];
  expired: number;
  overdue: number;
  oldestRotationAgeSeconds: number;
  jobs: { job_name: string; at: Date }[];
  findings: { kind: string; n: number }[];
  score: number | null;
  tasksRunning: number;
}

/**
 * Gauges that describe the whole fleet are computed from PostgreSQL at scrape time, so every
 * replica reports the same value. One snapshot (a handful of aggregate queries) serves all of
 * them for a second, however many gauges a scrape reads.
 */
@Injectable()
export class FleetGauges implements OnModuleInit {
  private snapshot: { at: number; value: Promise<FleetSnapshot> } | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly stores: SecretStores,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @InjectMetric(MetricName.ExpiredSecrets) private readonly expired: Gauge,
    @InjectMetric(MetricName.SecretsTotal) private readonly total: Gauge<'type' | 'store'>,
    @InjectMetric(MetricName.RotationOverdue) private readonly overdue: Gauge,
    @InjectMetric(MetricName.OldestRotationAge) private readonly oldest: Gauge,
    @InjectMetric(MetricName.JobLastSuccess) private readonly jobs: Gauge<'job'>,
    @InjectMetric(MetricName.SecurityFindings) private readonly findings: Gauge<'kind'>,
    @InjectMetric(MetricName.SecurityAuditScore) private readonly score: Gauge,
    @InjectMetric(MetricName.TasksRunning) private readonly tasks: Gauge,
    @InjectMetric(MetricName.VaultUp) private readonly vaultUp: Gauge,
    @InjectMetric(MetricName.AuditChainValid) private readonly chainValid: Gauge,
  ) {}

  onModuleInit(): void {
    collectWith(this.expired, async () => this.expired.set((await this.read()).expired));
    collectWith(this.overdue, async () => this.overdue.set((await this.read()).overdue));
    collectWith(this.oldest, async () => this.oldest.set((await this.read()).oldestRotationAgeSeconds));
    collectWith(this.tasks, async () => this.tasks.set((await this.read()).tasksRunning));
    collectWith(this.total, async () => {
      const rows = (await this.read()).byTypeStore;
      this.total.reset();
      for (const r of rows) this.total.set({ type: r.secret_type, store: r.store }, r.n);
    });
    collectWith(this.jobs, async () => {
      const rows = (await this.read()).jobs;
      this.jobs.reset();
      for (const r of rows) this.jobs.set({ job: r.job_name }, Math.floor(new Date(r.at).getTime() / 1000));
    });
    collectWith(this.findings, async () => {
      const rows = (await this.read()).findings;
      this.findings.reset();
      for (const r of rows) this.findings.set({ kind: r.kind }, r.n);
    });
    collectWith(this.score, async () => {
      const { score } = await this.read();
      if (score === null) markAbsent(this.score);
      else this.score.set(score);
    });
    collectWith(this.vaultUp, async () => {
      if (this.stores.defaultKind === 'vault') this.metrics.setVaultUp((await this.stores.default.health()).up);
      else markAbsent(this.vaultUp);
    });
    collectWith(this.chainValid, async () => {
      if (this.metrics.auditChainVerdict === undefined) markAbsent(this.chainValid);
    });
  }

  private read(): Promise<FleetSnapshot> {
    const now = Date.now();
    if (!this.snapshot || now - this.snapshot.at > 1000) {
      const value = this.query();
      value.catch(() => (this.snapshot = undefined));
      this.snapshot = { at: now, value };
    }
    return this.snapshot.value;
  }

  private async query(): Promise<FleetSnapshot> {
    const now = this.clock.now();
    const q = <T>(sql: string, params: unknown[] = []) => this.dataSource.query(sql, params) as Promise<T>;
    const [byTypeStore, [counts], jobs, findings, [report], [tasks]] = await Promise.all([
      q<FleetSnapshot['byTypeStore']>('SELECT secret_type, store, count(*)::int AS n FROM secrets WHERE deleted_at IS NULL GROUP BY 1, 2'),
      q<{ expired: number; overdue: number; oldest: Date | null }[]>(
        `SELECT count(*) FILTER (WHERE expires_at <= $1)::int AS expired,
                count(*) FILTER (WHERE next_rotation_at < $1)::int AS overdue,
                min(coalesce(last_rotated_at, created_at)) AS oldest
         FROM secrets WHERE deleted_at IS NULL`,
        [now],
      ),
      q<FleetSnapshot['jobs']>(
        "SELECT job_name, max(finished_at) AS at FROM job_runs WHERE status = 'succeeded' AND job_name = ANY($1) GROUP BY job_name",
        [[...JOB_NAMES]],
      ),
      q<FleetSnapshot['findings']>("SELECT kind, count(*)::int AS n FROM security_findings WHERE status = 'open' GROUP BY kind"),
      q<{ score: string | null }[]>(
        "SELECT document #>> '{score,value}' AS score FROM reports WHERE kind = 'security' ORDER BY generated_at DESC LIMIT 1",
      ),
      q<{ n: number }[]>("SELECT count(*)::int AS n FROM tasks WHERE status IN ('pending', 'running')"),
    ]);
    return {
      byTypeStore,
      expired: counts?.expired ?? 0,
      overdue: counts?.overdue ?? 0,
      oldestRotationAgeSeconds: counts?.oldest ? Math.max(0, (now.getTime() - new Date(counts.oldest).getTime()) / 1000) : 0,
      jobs,
      findings,
      score: report?.score != null && !Number.isNaN(Number(report.score)) ? Number(report.score) : null,
      tasksRunning: tasks?.n ?? 0,
    };
  }
}

/** prom-client calls a metric's `collect` before each scrape; its types do not declare it. */
function collectWith(gauge: Gauge<string>, fn: () => Promise<void>): void {
  (gauge as unknown as { collect: () => Promise<void> }).collect = fn;
}

/**
 * Exports no sample until the value is known. prom-client gives an unlabelled gauge a 0 it never
 * lets go of, and a 0 here would fire VaultDown, AuditChainBroken or SecurityScoreLow on a fresh
 * replica; an absent series fires nothing.
 */
function markAbsent(gauge: Gauge<string>): void {
  (gauge as unknown as { hashMap: Record<string, unknown> }).hashMap = {};
}
