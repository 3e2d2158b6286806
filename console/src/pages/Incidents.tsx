import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, errorText, ok, type Schemas } from '../api';
import { Link } from '../router';
import { Choice, ErrorText, FilterForm, Pager, PageTitle, Status, useCursorPages, useFilters, useLoad, when } from '../ui';
import { TaskProgress } from './TaskProgress';

const STATUSES = ['in_progress', 'completed', 'completed_with_errors'] as const;
const PAGE = 25;
const STATUS_TEXT: Record<string, string> = { in_progress: 'in progress', completed: 'completed', completed_with_errors: 'completed with errors' };
const OUTCOME_TEXT: Record<string, string> = {
  pending: 'pending',
  rotated: 'rotated',
  manual_rotation_required: 'flagged: manual rotation required',
  rotation_failed: 'rotation failed',
  secret_gone: 'secret deleted since',
};

/** A `datetime-local` value (the browser's time zone) as ISO 8601, or undefined when empty or invalid. */
const isoOf = (local: string): string | undefined => {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
};
/** A Date as a `datetime-local` value in the browser's time zone. */
const localOf = (d: Date) => {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

export function IncidentsPage({ admin }: { admin: boolean }) {
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const { draft, applied, edit, apply } = useFilters<{ status: '' | (typeof STATUSES)[number]; subject: string }>({ status: '', subject: '' }, pages);
  const status = applied.status;
  const subject = applied.subject.trim();
  const list = useLoad(
    () =>
      ok(
        api.GET('/api/v1/incidents', {
          params: { query: { limit: PAGE, cursor, ...(status ? { status } : {}), ...(subject ? { subject } : {}) } },
        }),
      ),
    [status, subject, cursor],
  );
  return (
    <>
      <PageTitle>Incidents</PageTitle>
      <p>
        Compromise response: opening an incident locks a subject (a token's <code>sub</code>) out, rotates every generatable secret it read in the window and flags the
        others for manual rotation.
      </p>
      {admin ? <OpenIncident onOpened={list.reload} /> : null}
      <section aria-labelledby="incidents-h">
        <h2 id="incidents-h">All incidents</h2>
        <FilterForm label="Filter incidents" onApply={apply} onRefresh={list.reload}>
          <label>
            Subject
            <input value={draft.subject} maxLength={256} onChange={(e) => edit({ subject: e.target.value })} />
          </label>
          <Choice label="Status" value={draft.status} options={STATUSES} onChange={(status) => edit({ status })} text={(s) => STATUS_TEXT[s]} />
        </FilterForm>
        <Status loaded={list}>
          {(l) => (
            <>
              {l.items.length === 0 ? (
                <p>No incident.</p>
              ) : (
                <table className="incidents">
                  <thead>
                    <tr>
                      <th scope="col">Subject</th>
                      <th scope="col">Window</th>
                      <th scope="col">Status</th>
                      <th scope="col">Progress</th>
                      <th scope="col">Rotated</th>
                      <th scope="col">Flagged</th>
                      <th scope="col">Failed</th>
                      <th scope="col">Lockout</th>
                      <th scope="col">Opened</th>
                    </tr>
                  </thead>
                  <tbody>
                    {l.items.map((i) => (
                      <tr key={i.id} data-incident={i.id}>
                        <th scope="row">
                          <Link to={`/console/incidents/${encodeURIComponent(i.id)}`} aria-label={`Incident ${i.id} for ${i.subject}`}>
                            {i.subject}
                          </Link>
                        </th>
                        <td>
                          {when(i.from)} – {when(i.to)}
                        </td>
                        <td className={i.status === 'completed_with_errors' ? 'bad' : ''}>{STATUS_TEXT[i.status] ?? i.status}</td>
                        <td>
                          <progress max={Math.max(i.progress.total, 1)} value={i.progress.total === 0 ? 1 : i.progress.processed} aria-label={`${i.progress.processed} of ${i.progress.total} handled`} />{' '}
                          {i.progress.processed} of {i.progress.total}
                        </td>
                        <td>{i.progress.rotated}</td>
                        <td>{i.progress.manual_rotation_required}</td>
                        <td className={i.progress.rotation_failed > 0 ? 'bad' : ''}>{i.progress.rotation_failed}</td>
                        <td data-field="lockout">{i.lockout.active ? <strong className="bad">locked out</strong> : `lifted ${when(i.lockout.lifted_at)}`}</td>
                        <td>
                          {when(i.created_at)} by {i.created_by}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <Pager pages={pages} next={l.next_cursor} labels={['Newer incidents', 'Older incidents']} />
            </>
          )}
        </Status>
      </section>
    </>
  );
}

/** Admins only: the form, then a confirmation (it locks the subject out at once), then the task's progress. */
function OpenIncident({ onOpened }: { onOpened: () => void }) {
  const [subject, setSubject] = useState('');
  const [from, setFrom] = useState(() => localOf(new Date(Date.now() - 24 * 3_600_000)));
  const [to, setTo] = useState('');
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [opened, setOpened] = useState<Schemas['IncidentResponseDto']>();
  // The form's button is disabled while confirming: keyboard focus moves to the question (then Tab to the answers).
  const question = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (confirming) question.current?.focus();
  }, [confirming]);

  const review = (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    if (!isoOf(from)) return setProblem('Give the start of the window.');
    if (to && !isoOf(to)) return setProblem('The end of the window is not a valid time.');
    setOpened(undefined);
    setConfirming(true);
  };
  const open = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const toIso = isoOf(to);
      const incident = await ok(api.POST('/api/v1/incidents', { body: { subject: subject.trim(), from: isoOf(from)!, ...(toIso ? { to: toIso } : {}), reason: reason.trim() } }));
      setOpened(incident);
      setConfirming(false);
      setSubject('');
      setReason('');
      onOpened();
    } catch (e) {
      setProblem(errorText(e));
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="open-h" className="action">
      <h2 id="open-h">Open an incident</h2>
      <form onSubmit={review} className="filters" aria-label="Open an incident">
        <label>
          Subject
          <input value={subject} maxLength={256} required disabled={confirming} onChange={(e) => setSubject(e.target.value)} autoComplete="off" spellCheck={false} />
        </label>
        <label>
          Reads from
          <input type="datetime-local" value={from} required disabled={confirming} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          Reads until (empty: now)
          <input type="datetime-local" value={to} disabled={confirming} onChange={(e) => setTo(e.target.value)} />
        </label>
        <label>
          Reason
          <input value={reason} maxLength={500} required disabled={confirming} onChange={(e) => setReason(e.target.value)} />
        </label>
        <button type="submit" disabled={confirming}>
          Review incident
        </button>
      </form>
      {confirming ? (
        <div className="confirm">
          <p role="alert" tabIndex={-1} ref={question}>
            Open an incident for <strong>{subject.trim()}</strong>? Its tokens are refused on every replica within about a second, until an admin lifts the
            lockout; every generatable secret it read between {when(isoOf(from))} and {to ? when(isoOf(to)) : 'now'} is rotated at once (the old value destroyed),
            and the others are flagged for manual rotation.
          </p>
          <button type="button" className="danger" onClick={open} disabled={busy}>
            Yes, open the incident
          </button>
          <button type="button" onClick={() => setConfirming(false)} disabled={busy}>
            Cancel
          </button>
        </div>
      ) : null}
      <ErrorText error={problem} />
      {opened ? (
        <div role="status">
          <p>
            Incident <Link to={`/console/incidents/${encodeURIComponent(opened.id)}`}>{opened.id}</Link> opened for {opened.subject}: {opened.progress.total}{' '}
            {opened.progress.total === 1 ? 'secret' : 'secrets'} read in the window.
          </p>
          <TaskProgress id={opened.task_id} label="Incident response" onFinished={onOpened} />
        </div>
      ) : null}
    </section>
  );
}

export function IncidentDetailPage({ id, admin }: { id: string; admin: boolean }) {
  const incident = useLoad(() => ok(api.GET('/api/v1/incidents/{id}', { params: { path: { id } } })), [id]);
  return (
    <>
      <p className="crumbs">
        <Link to="/console/incidents">Incidents</Link> /
      </p>
      <Status loaded={incident}>
        {(i) => (
          <>
            <PageTitle>Incident for {i.subject}</PageTitle>
            <dl className="facts">
              <dt>Id</dt>
              <dd>
                <code>{i.id}</code>
              </dd>
              <dt>Subject</dt>
              <dd>{i.subject}</dd>
              <dt>Window</dt>
              <dd>
                {when(i.from)} – {when(i.to)}
              </dd>
              <dt>Reason</dt>
              <dd>{i.reason}</dd>
              <dt>Status</dt>
              <dd data-field="status">{STATUS_TEXT[i.status] ?? i.status}</dd>
              <dt>Progress</dt>
              <dd>
                {i.progress.processed} of {i.progress.total} handled: {i.progress.rotated} rotated, {i.progress.manual_rotation_required} flagged for manual rotation,{' '}
                {i.progress.rotation_failed} failed, {i.progress.secret_gone} deleted since
              </dd>
              <dt>Lockout</dt>
              <dd data-field="lockout">
                {i.lockout.active
                  ? `${i.subject} is locked out`
                  : `lifted ${when(i.lockout.lifted_at)} by ${i.lockout.lifted_by ?? '?'}${i.lockout.lift_reason ? ` (${i.lockout.lift_reason})` : ''}`}
              </dd>
              <dt>Opened</dt>
              <dd>
                {when(i.created_at)} by {i.created_by}
              </dd>
              <dt>Finished</dt>
              <dd>{when(i.finished_at)}</dd>
              <dt>Task</dt>
              <dd>
                <Link to={`/console/jobs/tasks/${encodeURIComponent(i.task_id)}`}>{i.task_id}</Link>
              </dd>
            </dl>
            {i.status === 'in_progress' ? <TaskProgress id={i.task_id} label="Incident response" onFinished={incident.reload} /> : null}
            {admin && i.lockout.active ? <Lift id={i.id} subject={i.subject} onLifted={incident.reload} /> : null}
            <section aria-labelledby="secrets-h">
              <h2 id="secrets-h">Secrets read in the window</h2>
              {i.secrets.length === 0 ? (
                <p>The subject read no secret in the window.</p>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Secret</th>
                      <th scope="col">Type</th>
                      <th scope="col">Reads</th>
                      <th scope="col">Outcome</th>
                      <th scope="col">Versions</th>
                      <th scope="col">Error</th>
                    </tr>
                  </thead>
                  <tbody>
                    {i.secrets.map((s) => (
                      <tr key={s.secret_id} data-secret={s.secret_id}>
                        <th scope="row">
                          {s.outcome === 'secret_gone' ? (
                            (s.secret_name ?? s.secret_id)
                          ) : (
                            <Link to={`/console/secrets/${encodeURIComponent(s.secret_id)}`}>{s.secret_name ?? s.secret_id}</Link>
                          )}
                        </th>
                        <td>{s.secret_type ?? '—'}</td>
                        <td>
                          {s.reads} ({when(s.first_read_at)} – {when(s.last_read_at)})
                        </td>
                        <td data-outcome={s.outcome} className={s.outcome === 'rotation_failed' ? 'bad' : ''}>
                          {OUTCOME_TEXT[s.outcome] ?? s.outcome}
                        </td>
                        <td>{s.from_version !== null && s.to_version !== null ? `${s.from_version} → ${s.to_version}` : '—'}</td>
                        <td>{s.error ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </>
        )}
      </Status>
    </>
  );
}

function Lift({ id, subject, onLifted }: { id: string; subject: string; onLifted: () => void }) {
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const lift = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      await ok(api.POST('/api/v1/incidents/{id}/lift', { params: { path: { id } }, body: reason.trim() ? { reason: reason.trim() } : {} }));
      onLifted();
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="lift-h" className="action">
      <h2 id="lift-h">Lift the lockout</h2>
      <p>{subject}'s tokens are accepted again within about a second (unless another open incident names it). Issue it new credentials first.</p>
      <form onSubmit={lift} className="filters" aria-label="Lift the lockout">
        <label>
          Lift reason (optional)
          <input value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
        </label>
        <button type="submit" disabled={busy}>
          Lift lockout
        </button>
      </form>
      <ErrorText error={problem} />
    </section>
  );
}

