/** Readers for the files under deploy/ that the deploy tests check. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ALERTS_FILE = 'deploy/prometheus/alerts.yml';
export const ALERT_TESTS_FILE = 'deploy/prometheus/alerts.test.yml';
export const PROMETHEUS_CONFIG_FILE = 'deploy/prometheus/prometheus.yml';
export const PROMETHEUS_RULE_FILE = 'deploy/k8s/prometheusrule.yaml';
export const DASHBOARD_FILE = 'deploy/grafana/strongroom.json';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

export function readRepoFile(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

export function readYaml(path: string): unknown {
  return load(readRepoFile(path));
}

export function alertGroups(): RuleGroup[] {
  return (readYaml(ALERTS_FILE) as { groups: RuleGroup[] }).groups;
}

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

interface Dashboard {
  panels: Panel[];
  templating?: { list: { type: string; query?: string | { query?: string } }[] };
}

export function readDashboard(): Dashboard {
  return JSON.parse(readRepoFile(DASHBOARD_FILE)) as Dashboard;
}

/** Every PromQL expression of the dashboard: panel targets (rows included) and query variables. */
export function dashboardExpressions(dashboard: Dashboard = readDashboard()): string[] {
  const exprs: string[] = [];
  const walk = (panels: Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) if (target.expr) exprs.push(target.expr);
      walk(panel.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    // Grafana's label_values(<selector>, <label>): only the selector is PromQL.
    const selector = query?.match(/^\s*label_values\((.*),\s*[A-Za-z_]\w*\s*\)\s*$/)?.[1] ?? query;
    if (selector && !/^\s*label_values\(/.test(selector)) exprs.push(selector);
  }
  return exprs;
}

/** Aggregations and keywords that read like metric names but are not (functions are skipped by their `(`). */
const PROMQL_WORDS = new Set([
  'sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile',
  'count_values', 'limitk', 'limit_ratio', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
  'bool', 'and', 'or', 'unless', 'atan2', 'offset', 'inf', 'nan', 'le',
]);

/**
 * The metric names a PromQL expression selects, e.g. `http_request_duration_seconds_bucket` from
 * `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{route=~"$r"}[5m])))`.
 * Strings, label matchers, ranges, grouping label lists, Grafana variables, numbers, durations,
 * function names and keywords are not names.
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.:])[A-Za-z_:][\w:]*/g)) {
    const rest = stripped.slice(m.index + m[0].length);
    if (/^\s*\(/.test(rest)) continue; // a function call
    if (PROMQL_WORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}
