import type { ReportDocument } from './report-document.js';

/**
 * A realistic, deterministic security report exercising every section kind (used by the renderer
 * tests and handy for previewing the layouts). `auditRows` sizes the long audit-log table.
 */
export function sampleReportDocument(options: { auditRows?: number } = {}): ReportDocument {
  const auditRows = options.auditRows ?? 60;
  const actions = ['secret.read', 'secret.update', 'secret.rotate', 'policy.update', 'token.issue', 'secret.delete'];
  const actors = ['alice@acme.test', 'bob@acme.test', 'ci-deployer', 'rotation-job', 'carol.ops@acme.test'];
  const paths = [
    'prod/payments/stripe/api-key',
    'prod/db/primary/password',
    'staging/redis/auth-token',
    'prod/auth/jwt-signing-key',
    'dev/feature-flags/launchdarkly-sdk-key',
  ];

  return {
    id: 'rpt_2026_11_security_7f3a9c',
    kind: 'security',
    title: 'Monthly security report',
    subtitle: 'Secrets hygiene, rotation and access for the Acme production tenant',
    period: { from: '2026-11-01', to: '2026-11-30' },
    generated_at: '2026-11-30T14:05:09.000Z',
    integrity: {
      sha256: '9f2c4e0b7d1a83f65c2e9b04d7a1f3c8e6b5d4a39281706f5e4d3c2b1a098f7e',
      signature:
        'u7Qm3xJ2cV9kR1pL0sT8wZ4yN6bH5gF2dS1aQ9eW3rT7yU0iO8pA4sD6fG2hJ5kL9zX1cV3bN7mQ0wE8rT2yU4iO6pA1sD3fG5hJ7kL9zX==',
      key_id: 'strongroom-report-signing/2026-10',
    },
    summary: [
      { label: 'Security score', value: '87 / 100' },
      { label: 'Secrets under management', value: 12840 },
      { label: 'Rotations overdue', value: 7 },
      { label: 'Critical findings', value: 2 },
      { label: 'Users with production access', value: 46 },
      { label: 'Policy compliance', value: '96.4%' },
    ],
    sections: [
      {
        kind: 'chart',
        id: 'score-trend',
        title: 'Security score trend',
        chart: 'bar',
        unit: '%',
        points: [
          { label: 'Jun 2026', value: 71 },
          { label: 'Jul 2026', value: 74 },
          { label: 'Aug 2026', value: 79 },
          { label: 'Sep 2026', value: 77 },
          { label: 'Oct 2026', value: 83 },
          { label: 'Nov 2026', value: 87 },
        ],
      },
      {
        kind: 'table',
        id: 'overdue-rotations',
        title: 'Secrets overdue for rotation',
        description:
          'Secrets whose rotation policy deadline passed before the end of the period. Critical secrets are those tagged tier-0 by their owners.',
        columns: [
          { key: 'path', label: 'Secret' },
          { key: 'environment', label: 'Environment' },
          { key: 'owner', label: 'Owner' },
          { key: 'last_rotated', label: 'Last rotated' },
          { key: 'days_overdue', label: 'Days overdue' },
          { key: 'critical', label: 'Critical' },
        ],
        rows: [
          { path: 'prod/payments/stripe/api-key', environment: 'production', owner: 'payments-team', last_rotated: '2026-07-02', days_overdue: 61, critical: true },
          { path: 'prod/db/primary/password', environment: 'production', owner: 'platform', last_rotated: '2026-08-15', days_overdue: 17, critical: true },
          { path: 'staging/redis/auth-token', environment: 'staging', owner: 'platform', last_rotated: '2026-06-30', days_overdue: 1234, critical: false },
          {
            path: 'prod/integrations/partners/very-long-partner-name-gmbh-und-co-kg/oauth/client-credentials/primary-secret-value-v2',
            environment: 'production',
            owner: 'integrations',
            last_rotated: null,
            days_overdue: 92,
            critical: false,
          },
          { path: '=HYPERLINK("http://evil.test","click")', environment: 'dev', owner: 'unknown', last_rotated: '2026-01-01', days_overdue: 300, critical: false },
          { path: 'prod/search/elastic/api-key', environment: 'production', owner: 'search \u2013 Zoë Łukasiewicz', last_rotated: '2026-09-01', days_overdue: 4, critical: false },
          { path: 'dev/feature-flags/launchdarkly-sdk-key', environment: 'development', owner: 'web', last_rotated: '2026-05-20', days_overdue: 134, critical: false },
        ],
      },
      {
        kind: 'chart',
        id: 'access-by-team',
        title: 'Secret reads by team',
        chart: 'bar',
        unit: 'reads',
        points: [
          { label: 'Payments', value: 18234 },
          { label: 'Platform', value: 15011 },
          { label: 'Integrations', value: 9120 },
          { label: 'Search', value: 6502 },
          { label: 'Web', value: 5890 },
          { label: 'Mobile', value: 4410 },
          { label: 'Data engineering', value: 3980 },
          { label: 'Machine learning platform', value: 2875 },
          { label: 'Security operations', value: 2210 },
          { label: 'Customer support tooling', value: 1405 },
          { label: 'Finance', value: 830 },
          { label: 'Legal', value: 112 },
          { label: 'Marketing automation', value: 95 },
          { label: 'Internal tools', value: 40 },
        ],
      },
      {
        kind: 'table',
        id: 'privileged-grants',
        title: 'Emergency (break-glass) access grants',
        columns: [
          { key: 'user', label: 'User' },
          { key: 'granted_at', label: 'Granted at' },
          { key: 'reason', label: 'Reason' },
        ],
        rows: [],
        empty_text: 'No break-glass access was granted during this period.',
      },
      {
        kind: 'text',
        id: 'methodology',
        title: 'Methodology',
        paragraphs: [
          'The security score combines rotation compliance (40%), access hygiene (30%), policy coverage (20%) and audit completeness (10%). Each component is measured at the end of the period against the policies in force on that date.',
          'A rotation is overdue when the time since the last successful rotation exceeds the interval set by the secret\u2019s rotation policy. Secrets without a policy are reported separately and count against policy coverage.',
          'Figures are computed from the append-only audit log; the integrity block on the first page lets auditors verify that this document has not been altered since it was generated.',
        ],
      },
      {
        kind: 'table',
        id: 'audit-log',
        title: 'Audit log (privileged operations)',
        description: 'Every write and privileged read recorded during the period, oldest first.',
        columns: [
          { key: 'seq', label: '#' },
          { key: 'at', label: 'Timestamp (UTC)' },
          { key: 'actor', label: 'Actor' },
          { key: 'action', label: 'Action' },
          { key: 'path', label: 'Secret' },
          { key: 'bytes', label: 'Bytes' },
        ],
        rows: Array.from({ length: auditRows }, (_, i) => ({
          seq: i + 1,
          at: new Date(Date.UTC(2026, 10, 1) + i * 37 * 60_000).toISOString().replace('.000Z', 'Z'),
          actor: actors[i % actors.length] ?? 'unknown',
          action: actions[i % actions.length] ?? 'secret.read',
          path: paths[i % paths.length] ?? 'prod/x',
          bytes: 1000 + ((i * 7919) % 90000),
        })),
      },
    ],
  };
}
