import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { alertGroups, dashboardExpressions, promqlMetricNames, readDashboard } from './deploy-files.js';

/** The spec's metric names ("Monitoring & Metrics → Prometheus Metrics"). */
const SPEC_METRICS = [
  'secrets_created_total',
  'secrets_accessed_total',
  'secrets_rotated_successfully_total',
  'secrets_rotation_errors_total',
  'secret_integrity_checks_completed_total',
  'expired_secrets_count',
];

describe('promqlMetricNames', () => {
  it.each([
    ['expired_secrets_count > 5', ['expired_secrets_count']],
    ['increase(secrets_rotation_errors_total[1h]) > 3', ['secrets_rotation_errors_total']],
    [
      'histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{route=~"$route",instance=~"$instance"}[$__rate_interval])))',
      ['http_request_duration_seconds_bucket'],
    ],
    [
      '(time() - max by (job) (a_seconds{job="x"}) > 172800) or (absent_over_time(a_seconds{job="x"}[2d]) and on () count(present_over_time(b_count[1d] offset 172800s)))',
      ['a_seconds', 'b_count'],
    ],
    ['sum(rate(x_total{status=~"5..", note="rate(y_total)"}[5m])) / clamp_min(sum without (instance) (z), 1e3)', ['x_total', 'z']],
    ['vault_up == bool 0 unless ignoring(kind) q', ['vault_up', 'q']],
  ])('reads %s', (expr, names) => {
    expect(promqlMetricNames(expr).sort()).toEqual([...names].sort());
  });
});

describe('metrics used by the alerts and the dashboard', () => {
  const alertNames = alertGroups().flatMap((g) => g.rules.flatMap((r) => promqlMetricNames(r.expr)));
  const dashboardNames = dashboardExpressions(readDashboard()).flatMap((e) => promqlMetricNames(e));
  // `up` is Prometheus' own series for each scrape target, not one the service exports.
  const PROMETHEUS_SERIES = new Set(['up']);
  const used = [...new Set([...alertNames, ...dashboardNames])].filter((name) => !PROMETHEUS_SERIES.has(name)).sort();

  it('the dashboard shows every spec metric', () => {
    expect(SPEC_METRICS.filter((name) => !dashboardNames.includes(name))).toEqual([]);
  });

  describe('against the running service', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp();
    });
    afterAll(() => app?.stop());

    it('are all exported on /metrics', async () => {
      const res = await app.call('GET', '/metrics', { token: null });
      expect(res.status).toBe(200);
      const helped = new Set([...res.text.matchAll(/^# HELP (\S+)/gm)].map((m) => m[1]));
      const types = new Map([...res.text.matchAll(/^# TYPE (\S+) (\S+)/gm)].map((m) => [m[1], m[2]]));
      const exported = (name: string) => {
        if (helped.has(name)) return true;
        // A histogram or summary is helped under its base name; its series carry the suffixes.
        const base = name.match(/^(.+)_(?:bucket|sum|count)$/)?.[1];
        return base !== undefined && helped.has(base) && ['histogram', 'summary'].includes(types.get(base) ?? '');
      };
      expect(used.length).toBeGreaterThan(SPEC_METRICS.length);
      expect(used.filter((name) => !exported(name))).toEqual([]);
    });
  });
});
