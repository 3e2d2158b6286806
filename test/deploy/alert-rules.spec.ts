import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it, expect } from 'vitest';
import { JOB_NAMES } from '../../src/config/index.js';
import {
  ALERT_TESTS_FILE,
  ALERTS_FILE,
  alertGroups,
  PROMETHEUS_CONFIG_FILE,
  PROMETHEUS_RULE_FILE,
  readYaml,
  ROOT,
} from './deploy-files.js';

const execFileAsync = promisify(execFile);

const INSTALL_HINT =
  'promtool is not on PATH. Install it from Debian\'s `prometheus` package: ' +
  'apt-get update && apt-get install -y --no-install-recommends prometheus';

/** Runs promtool from the repository root; fails (never skips) when promtool is missing. */
async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync('promtool', args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    return stdout + stderr;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') throw new Error(INSTALL_HINT);
    throw new Error(`promtool ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

// `promtool test rules` simulates 14 days for the weekly ScheduledJobStale cases: about 10 s.
const PROMTOOL_TIMEOUT = 180_000;

describe('Prometheus alert rules (deploy/prometheus)', () => {
  it('pass promtool check rules', { timeout: PROMTOOL_TIMEOUT }, async () => {
    expect(await promtool('check', 'rules', ALERTS_FILE)).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their promtool unit tests', { timeout: PROMTOOL_TIMEOUT }, async () => {
    expect(await promtool('test', 'rules', ALERT_TESTS_FILE)).toMatch(/SUCCESS/);
  });

  it('are loaded by the example Prometheus configuration', { timeout: PROMTOOL_TIMEOUT }, async () => {
    expect(await promtool('check', 'config', PROMETHEUS_CONFIG_FILE)).toMatch(/is valid prometheus config file/);
  });

  it('contain the spec\'s two rules as the spec writes them', () => {
    const group = alertGroups().find((g) => g.name === 'secrets-security');
    expect(group).toBeDefined();
    const rule = (name: string) => group!.rules.find((r) => r.alert === name);
    expect(rule('ExpiredSecretsHigh')).toMatchObject({
      expr: 'expired_secrets_count > 5',
      for: '1h',
      labels: { severity: 'warning' },
      annotations: { summary: 'High number of expired secrets' },
    });
    expect(rule('RotationFailure')).toMatchObject({
      expr: 'increase(secrets_rotation_errors_total[1h]) > 3',
      for: '5m',
      labels: { severity: 'critical' },
      annotations: { summary: 'Multiple secret rotation failures' },
    });
  });

  it('give every rule a severity, a summary, a description and a runbook hint', () => {
    for (const rule of alertGroups().flatMap((g) => g.rules)) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(warning|critical)$/);
      for (const key of ['summary', 'description', 'runbook']) {
        expect(rule.annotations?.[key], `${rule.alert} ${key}`).toBeTruthy();
      }
    }
  });

  it('watch every scheduled task of the spec', () => {
    const watched = alertGroups()
      .flatMap((g) => g.rules)
      .filter((r) => r.alert === 'ScheduledJobStale')
      .map((r) => r.labels?.job);
    expect(watched.sort()).toEqual([...JOB_NAMES].sort());
  });

  it('are wrapped unchanged by the Kubernetes PrometheusRule', () => {
    const wrapped = readYaml(PROMETHEUS_RULE_FILE) as { kind: string; spec: { groups: unknown } };
    expect(wrapped.kind).toBe('PrometheusRule');
    expect(wrapped.spec.groups).toEqual(alertGroups());
  });
});
