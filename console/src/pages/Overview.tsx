import { api, ok, type Schemas } from '../api';
import { Link } from '../router';
import { PageTitle, Status, useLoad, when } from '../ui';

interface ScorePoint {
  at: string;
  score: number;
}

/** Security score of the latest stored security reports, oldest first (at most 8): from the listing, no report downloaded. */
async function scoreTrend(): Promise<ScorePoint[]> {
  const list = await ok(api.GET('/api/v1/reports', { params: { query: { kind: 'security', limit: 8 } } }));
  const points: ScorePoint[] = [];
  for (const r of list.items) if (typeof r.security_score === 'number') points.push({ at: r.generated_at, score: r.security_score });
  return points.reverse();
}

export function OverviewPage() {
  const stats = useLoad(() => ok(api.GET('/api/v1/secrets/stats')), []);
  const trend = useLoad(scoreTrend, []);
  const expired = useLoad(() => ok(api.GET('/api/v1/secrets', { params: { query: { expired_only: true, limit: 10 } } })), []);
  const expiring = useLoad(() => ok(api.GET('/api/v1/secrets', { params: { query: { expiring_within_days: 7, limit: 10 } } })), []);
  const failed = useLoad(() => ok(api.GET('/api/v1/secrets', { params: { query: { rotation_status: 'failed', limit: 10 } } })), []);
  const findings = useLoad(() => ok(api.GET('/api/v1/audit/findings', { params: { query: { limit: 10 } } })), []);
  const alerts = useLoad(() => ok(api.GET('/api/v1/alerts', { params: { query: { limit: 5 } } })), []);
  const chain = useLoad(async () => ({ result: await ok(api.GET('/api/v1/audit/verify')), at: new Date().toISOString() }), []);

  return (
    <>
      <PageTitle>Overview</PageTitle>
      <section aria-labelledby="stats-h">
        <h2 id="stats-h">Secrets</h2>
        <Status loaded={stats}>
          {(s) => (
            <dl className="cards">
              <Stat name="total" label="Live secrets" value={s.total} />
              <Stat name="expired" label="Expired" value={s.expired} tone={s.expired > 0 ? 'bad' : undefined} />
              <Stat name="expiring_within_7_days" label="Expiring within 7 days" value={s.expiring_within_7_days} tone={s.expiring_within_7_days > 0 ? 'warn' : undefined} />
              <Stat name="expiring_within_30_days" label="Expiring within 30 days" value={s.expiring_within_30_days} />
              <Stat name="rotation_overdue" label="Rotation overdue" value={s.rotation_overdue} tone={s.rotation_overdue > 0 ? 'warn' : undefined} />
              <Stat name="rotations_failed_30d" label="Failed rotations (30 days)" value={s.rotations.last_30d.failed} tone={s.rotations.last_30d.failed > 0 ? 'bad' : undefined} />
              <Stat name="rotations_succeeded_30d" label="Rotations (30 days)" value={s.rotations.last_30d.succeeded} />
              <Stat name="open_security_findings" label="Open findings" value={s.open_security_findings.total} tone={s.open_security_findings.critical > 0 ? 'bad' : undefined} />
              <Stat name="value_reads_last_24h" label="Value reads (24 h)" value={s.value_reads_last_24h} />
            </dl>
          )}
        </Status>
      </section>

      <section aria-labelledby="score-h">
        <h2 id="score-h">Security score</h2>
        <Status loaded={trend}>
          {(points) =>
            points.length === 0 ? (
              <p>No security report yet. <Link to="/console/reports">Generate one</Link>.</p>
            ) : (
              <>
                <p className="score">
                  <span data-stat="security_score">{points[points.length - 1]!.score}</span> / 100
                  {points.length > 1 ? <Trend points={points} /> : null}
                </p>
                <ol className="trend" aria-label="Score of past reports, oldest first">
                  {points.map((p) => (
                    <li key={p.at}>
                      <meter min={0} max={100} low={60} high={85} optimum={100} value={p.score} aria-label={`Score ${p.score} on ${when(p.at)}`} />
                      <span>
                        {p.score} · {when(p.at)}
                      </span>
                    </li>
                  ))}
                </ol>
              </>
            )
          }
        </Status>
      </section>

      <div className="columns">
        <section aria-labelledby="expired-h">
          <h2 id="expired-h">Expired secrets</h2>
          <Status loaded={expired}>{(l) => <SecretLinks items={l.items} empty="None expired." more={l.next_cursor !== null} />}</Status>
        </section>
        <section aria-labelledby="expiring-h">
          <h2 id="expiring-h">Expiring within 7 days</h2>
          <Status loaded={expiring}>{(l) => <SecretLinks items={l.items} empty="None expiring within 7 days." more={l.next_cursor !== null} />}</Status>
        </section>
        <section aria-labelledby="failed-h">
          <h2 id="failed-h">Failed rotations</h2>
          <Status loaded={failed}>{(l) => <SecretLinks items={l.items} empty="No rotation failed." />}</Status>
        </section>
      </div>

      <div className="columns">
        <section aria-labelledby="findings-h">
          <h2 id="findings-h">Open findings</h2>
          <Status loaded={findings}>
            {(l) => {
              const open = l.items.filter((f) => f.status === 'open');
              return open.length === 0 ? (
                <p>No open finding.</p>
              ) : (
                <ul>
                  {open.map((f) => (
                    <li key={f.id}>
                      <span className={`sev sev-${f.severity}`}>{f.severity}</span> {f.summary} <small>({when(f.detected_at)})</small>
                    </li>
                  ))}
                </ul>
              );
            }}
          </Status>
        </section>
        <section aria-labelledby="alerts-h">
          <h2 id="alerts-h">Recent alerts</h2>
          <Status loaded={alerts}>
            {(l) =>
              l.items.length === 0 ? (
                <p>No alert.</p>
              ) : (
                <ul>
                  {l.items.map((a) => (
                    <li key={a.id}>
                      <span className={`sev sev-${a.severity}`}>{a.severity}</span> {a.summary} <small>({when(a.occurred_at)})</small>
                    </li>
                  ))}
                </ul>
              )
            }
          </Status>
        </section>
      </div>

      <section aria-labelledby="chain-h">
        <h2 id="chain-h">Audit chain</h2>
        <Status loaded={chain}>
          {({ result, at }) => (
            <p data-stat="audit_chain" className={result.valid ? 'good' : 'bad'}>
              {result.valid ? 'Intact' : `Broken at ${result.first_invalid_id ?? '?'}: ${result.reason ?? ''}`} — {result.checked} events checked
              {result.unsealed > 0 ? `, ${result.unsealed} not yet sealed` : ''}, verified {when(at)}
            </p>
          )}
        </Status>
      </section>
    </>
  );
}

function Stat({ name, label, value, tone }: { name: string; label: string; value: number; tone?: 'warn' | 'bad' }) {
  return (
    <div className={`card ${tone ?? ''}`}>
      <dt>{label}</dt>
      <dd data-stat={name}>{value}</dd>
    </div>
  );
}

function Trend({ points }: { points: ScorePoint[] }) {
  const delta = points[points.length - 1]!.score - points[points.length - 2]!.score;
  const text = delta === 0 ? 'unchanged' : delta > 0 ? `up ${delta}` : `down ${-delta}`;
  return <span className={`trendword ${delta < 0 ? 'bad' : ''}`}> ({text} since the previous report)</span>;
}

function SecretLinks({ items, empty, more }: { items: Schemas['SecretResponseDto'][]; empty: string; more?: boolean }) {
  if (items.length === 0) return <p>{empty}</p>;
  return (
    <>
      <ul>
        {items.map((s) => (
          <li key={s.id}>
            <Link to={`/console/secrets/${encodeURIComponent(s.id)}`}>{s.name}</Link>{' '}
            <small>
              ({s.secret_type}, {s.expires_at ? <>expires <time dateTime={s.expires_at}>{when(s.expires_at)}</time></> : 'no expiry'})
            </small>
          </li>
        ))}
      </ul>
      {more ? (
        <p>
          <small>More on the <Link to="/console/secrets">Secrets</Link> page.</small>
        </p>
      ) : null}
    </>
  );
}
