import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { addDays, Clock } from '../clock/clock.js';
import { AppConfig, JOB_NAMES } from '../config/index.js';
import type { VaultConnection } from '../vault/vault-client.js';
import { VAULT_CONNECTION } from '../vault/vault.module.js';
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
  oldestTaskAgeSeconds: number;
  audit: { valid: boolean | null; unsealed: number; lagSeconds: number };
  consumersOnPrevious: number;
}

/**
 * Gauges that describe the whole fleet are computed from PostgreSQL at scrape time, so every
 * replica reports the same value. One snapshot (a handful of aggregate queries) serves all of
 * them for a second, however many gauges a scrape reads.
 */
@Injectable()
export class FleetGauges implements OnModuleInit, OnApplicationShutdown {
  private snapshot: { at: number; verdicts: number; value: Promise<FleetSnapshot> } | undefined;

  constructor(
    private readonly dataSource: DataSource,
    /** Set when USE_VAULT=true (Vault is the default store). */
    @Inject(VAULT_CONNECTION) private readonly vault: VaultConnection | null,
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
    @InjectMetric(MetricName.TasksOldestRunningAge) private readonly oldestTask: Gauge,
    @InjectMetric(MetricName.AuditUnsealedRows) private readonly unsealed: Gauge,
    @InjectMetric(MetricName.AuditSealLag) private readonly sealLag: Gauge,
    @InjectMetric(MetricName.ConsumersOnPreviousVersion) private readonly consumersOnPrevious: Gauge,
    private readonly config: AppConfig,
  ) {}

  /**
   * The metrics live in prom-client's process-wide registry, so two app instances in one process
   * (tests of several replicas) share them: the collectors ask the newest instance still running.
   */
  private static readonly live: FleetGauges[] = [];

  onApplicationShutdown(): void {
    FleetGauges.live.splice(FleetGauges.live.indexOf(this), 1);
  }

  onModuleInit(): void {
    FleetGauges.live.push(this);
    if (FleetGauges.live.length === 1) FleetGauges.live[0]!.install();
  }

  private static current(): FleetGauges | undefined {
    return FleetGauges.live[FleetGauges.live.length - 1];
  }

  private install(): void {
    // Gauges are the same objects in every instance; the data comes from the current instance.
    const on = (gauge: Gauge<string>, fn: (self: FleetGauges) => Promise<void>) =>
      collectWith(gauge, async () => {
        const self = FleetGauges.current();
        if (self) await fn(self);
      });
    on(this.expired, async (self) => self.expired.set((await self.read()).expired));
    on(this.overdue, async (self) => self.overdue.set((await self.read()).overdue));
    on(this.oldest, async (self) => self.oldest.set((await self.read()).oldestRotationAgeSeconds));
    on(this.tasks, async (self) => self.tasks.set((await self.read()).tasksRunning));
    on(this.oldestTask, async (self) => self.oldestTask.set((await self.read()).oldestTaskAgeSeconds));
    on(this.total, async (self) => {
      const rows = (await self.read()).byTypeStore;
      self.total.reset();
      for (const r of rows) self.total.set({ type: r.secret_type, store: r.store }, r.n);
    });
    on(this.jobs, async (self) => {
      const rows = (await self.read()).jobs;
      self.jobs.reset();
      for (const r of rows) self.jobs.set({ job: r.job_name }, Math.floor(new Date(r.at).getTime() / 1000));
    });
    on(this.findings, async (self) => {
      const rows = (await self.read()).findings;
      self.findings.reset();
      for (const r of rows) self.findings.set({ kind: r.kind }, r.n);
    });
    on(this.score, async (self) => {
      const { score } = await self.read();
      if (score === null) markAbsent(self.score);
      else self.score.set(score);
    });
    on(this.vaultUp, async (self) => {
      if (self.vault) self.metrics.setVaultUp((await self.vault.health()).up);
      else markAbsent(self.vaultUp);
    });
    on(this.chainValid, async (self) => {
      const { valid } = (await self.read()).audit;
      if (valid === null) markAbsent(self.chainValid);
      else self.chainValid.set(valid ? 1 : 0);
    });
    on(this.unsealed, async (self) => self.unsealed.set((await self.read()).audit.unsealed));
    on(this.sealLag, async (self) => self.sealLag.set((await self.read()).audit.lagSeconds));
    on(this.consumersOnPrevious, async (self) => self.consumersOnPrevious.set((await self.read()).consumersOnPrevious));
  }

  private read(): Promise<FleetSnapshot> {
    const now = Date.now();
    const verdicts = this.metrics.auditVerdicts;
    if (!this.snapshot || now - this.snapshot.at > 1000 || this.snapshot.verdicts !== verdicts) {
      const value = this.query();
      value.catch(() => (this.snapshot = undefined));
      this.snapshot = { at: now, verdicts, value };
    }
    return this.snapshot.value;
  }

  private async query(): Promise<FleetSnapshot> {
    const now = this.clock.now();
    const q = <T>(sql: string, params: unknown[] = []) => this.dataSource.query(sql, params) as Promise<T>;
    const [byTypeStore, [counts], jobs, findings, [report], [tasks], [audit], [consumers]] = await Promise.all([
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
        [[...JOB_NAMES, 'backup_secrets']],
      ),
      q<FleetSnapshot['findings']>("SELECT kind, count(*)::int AS n FROM security_findings WHERE status = 'open' GROUP BY kind"),
      q<{ score: string | null }[]>(
        "SELECT document #>> '{score,value}' AS score FROM reports WHERE kind = 'security' ORDER BY generated_at DESC LIMIT 1",
      ),
      q<{ n: number; oldest: Date | null }[]>(
        "SELECT count(*)::int AS n, min(created_at) AS oldest FROM tasks WHERE status IN ('pending', 'running')",
      ),
      // The chain is valid when the newest passing full verification (any replica's) is newer
      // than every failed check; lag by the database clock, from the oldest unsealed row.
      q<{ pass: string | null; fail: string | null; unsealed: number; lag: number | null }[]>(
        `SELECT (SELECT max(id) FROM audit_verifications WHERE kind = 'full' AND valid)::text AS pass,
                (SELECT max(id) FROM audit_verifications WHERE NOT valid)::text AS fail,
                u.n AS unsealed, extract(epoch FROM clock_timestamp() - u.oldest)::float8 AS lag
         FROM (SELECT count(*)::int AS n, min(inserted_at) AS oldest FROM audit_events WHERE seq IS NULL) u`,
      ),
      q<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM secret_consumers c JOIN secrets s ON s.id = c.secret_id
         WHERE s.deleted_at IS NULL AND c.last_version < s.current_version AND c.last_read_at >= $1`,
        [addDays(now, -this.config.secrets.consumerActiveDays)],
      ),
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
      oldestTaskAgeSeconds: tasks?.oldest ? Math.max(0, (now.getTime() - new Date(tasks.oldest).getTime()) / 1000) : 0,
      audit: {
        valid: audit?.pass == null && audit?.fail == null ? null : audit?.fail == null || (audit.pass != null && BigInt(audit.pass) > BigInt(audit.fail)),
        unsealed: audit?.unsealed ?? 0,
        lagSeconds: Math.max(0, audit?.lag ?? 0),
      },
      consumersOnPrevious: consumers?.n ?? 0,
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
