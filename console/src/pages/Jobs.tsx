import { useState } from 'react';
import { api, errorText, ok } from '../api';
import { Link } from '../router';
import { Choice, ErrorText, FilterForm, Pager, PageTitle, Status, useCursorPages, useFilters, useLoad, when } from '../ui';
import { TaskProgress } from './TaskProgress';

const TASK_STATUSES = ['pending', 'running', 'completed', 'failed'] as const;
/** The kinds the service's task handlers run (the API takes any kind name). */
const TASK_KINDS = ['rotate_bulk', 'incident_response', 'integrity_check', 'key_rewrap', 'generate_report'] as const;
type TaskStatus = '' | (typeof TASK_STATUSES)[number];
type TaskKind = (typeof TASK_KINDS)[number];

export function JobsPage({ admin }: { admin: boolean }) {
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const jobs = useLoad(() => ok(api.GET('/api/v1/jobs', { params: { query: { limit: 25, cursor } } })), [cursor]);
  const [problem, setProblem] = useState<string>();
  const [started, setStarted] = useState<string>();
  const run = async (name: string) => {
    setProblem(undefined);
    try {
      await ok(api.POST('/api/v1/jobs/{name}/run', { params: { path: { name } } }));
      setStarted(`${name} ran.`);
      jobs.reload();
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  return (
    <>
      <PageTitle>Jobs and tasks</PageTitle>
      <Status loaded={jobs}>
        {(j) => (
          <>
            <section aria-labelledby="jobs-h">
              <h2 id="jobs-h">Scheduled jobs</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">Schedule</th>
                    <th scope="col">Last success</th>
                    {admin ? <th scope="col">Run</th> : null}
                  </tr>
                </thead>
                <tbody>
                  {j.jobs.map((job) => (
                    <tr key={job.name}>
                      <th scope="row">{job.name}</th>
                      <td>
                        <code>{job.schedule}</code>
                      </td>
                      <td>{when(job.last_success_at)}</td>
                      {admin ? (
                        <td>
                          <button type="button" onClick={() => run(job.name)} aria-label={`Run ${job.name} now`}>
                            Run now
                          </button>
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </tbody>
              </table>
              {started ? <p role="status">{started}</p> : null}
              <ErrorText error={problem} />
            </section>
            <section aria-labelledby="runs-h">
              <h2 id="runs-h">Runs</h2>
              {j.runs.length === 0 ? (
                <p>No run yet.</p>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Job</th>
                      <th scope="col">Status</th>
                      <th scope="col">Started</th>
                      <th scope="col">Finished</th>
                      <th scope="col">Trigger</th>
                      <th scope="col">Counts</th>
                      <th scope="col">Error</th>
                    </tr>
                  </thead>
                  <tbody>
                    {j.runs.map((r) => (
                      <tr key={r.id}>
                        <td>{r.job}</td>
                        <td className={r.status === 'failed' ? 'bad' : ''}>{r.status}</td>
                        <td>{when(r.started_at)}</td>
                        <td>{when(r.finished_at)}</td>
                        <td>
                          {r.trigger} ({r.triggered_by})
                        </td>
                        <td>
                          {Object.entries(r.counts as Record<string, unknown>)
                            .map(([k, v]) => `${k}: ${String(v)}`)
                            .join(', ')}
                        </td>
                        <td>{r.error ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <Pager pages={pages} next={j.next_cursor} labels={['Newer runs', 'Older runs']} />
            </section>
          </>
        )}
      </Status>
      <Tasks />
    </>
  );
}

/** Background tasks (GET /api/v1/tasks), newest first, each linked to its progress. */
function Tasks() {
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const { draft, applied: filters, edit, apply } = useFilters<{ status: TaskStatus; kind: TaskKind | '' }>({ status: '', kind: '' }, pages);
  const tasks = useLoad(
    () =>
      ok(
        api.GET('/api/v1/tasks', {
          params: { query: { limit: 25, cursor, ...(filters.status ? { status: filters.status } : {}), ...(filters.kind ? { kind: filters.kind } : {}) } },
        }),
      ),
    [filters, cursor],
  );
  return (
    <section aria-labelledby="tasks-h">
      <h2 id="tasks-h">Background tasks</h2>
      <FilterForm label="Filter tasks" onApply={apply} onRefresh={tasks.reload}>
        <Choice label="Task status" value={draft.status} options={TASK_STATUSES} onChange={(status) => edit({ status })} />
        <Choice label="Task kind" value={draft.kind} options={TASK_KINDS} onChange={(kind) => edit({ kind })} />
      </FilterForm>
      <Status loaded={tasks}>
        {(l) => (
          <>
            {l.items.length === 0 ? (
              <p>No task matches.</p>
            ) : (
              <table className="tasks">
                <thead>
                  <tr>
                    <th scope="col">Task</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Status</th>
                    <th scope="col">Progress</th>
                    <th scope="col">Failures</th>
                    <th scope="col">Created</th>
                    <th scope="col">Finished</th>
                  </tr>
                </thead>
                <tbody>
                  {l.items.map((t) => (
                    <tr key={t.task_id} data-task={t.task_id}>
                      <th scope="row">
                        <Link to={`/console/jobs/tasks/${encodeURIComponent(t.task_id)}`} aria-label={`Progress of ${t.kind} task ${t.task_id}`}>
                          <code>{t.task_id}</code>
                        </Link>
                      </th>
                      <td>{t.kind}</td>
                      <td className={t.status === 'failed' ? 'bad' : ''}>{t.status}</td>
                      <td>
                        <progress
                          max={Math.max(t.progress.total, 1)}
                          value={t.status === 'completed' ? Math.max(t.progress.total, 1) : t.progress.done + t.progress.failed}
                          aria-label={`${t.progress.done + t.progress.failed} of ${t.progress.total} items`}
                        />{' '}
                        {t.progress.done + t.progress.failed} of {t.progress.total}
                      </td>
                      <td className={t.progress.failed > 0 ? 'bad' : ''}>{t.progress.failed}</td>
                      <td>
                        {when(t.created_at)} by {t.created_by}
                      </td>
                      <td>{when(t.finished_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <Pager pages={pages} next={l.next_cursor} labels={['Newer tasks', 'Older tasks']} name="Task pages" />
          </>
        )}
      </Status>
    </section>
  );
}

/** One task: what it is, and its progress (polled until it ends) with its per-item failures. */
export function TaskPage({ id }: { id: string }) {
  const task = useLoad(() => ok(api.GET('/api/v1/secrets/task/{id}/status', { params: { path: { id } } })), [id]);
  return (
    <>
      <p className="crumbs">
        <Link to="/console/jobs">Jobs and tasks</Link> /
      </p>
      <PageTitle>Task {id}</PageTitle>
      <Status loaded={task}>
        {(t) => (
          <>
            <dl className="facts">
              <dt>Kind</dt>
              <dd data-field="kind">{t.kind}</dd>
              <dt>Created</dt>
              <dd>
                {when(t.created_at)} by {t.created_by}
              </dd>
              <dt>Started</dt>
              <dd>{when(t.started_at)}</dd>
              <dt>Finished</dt>
              <dd>{when(t.finished_at)}</dd>
              {t.result ? (
                <>
                  <dt>Result</dt>
                  <dd>
                    {Object.entries(t.result)
                      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
                      .join(', ')}
                  </dd>
                </>
              ) : null}
            </dl>
            <TaskProgress id={id} label={t.kind} onFinished={(done) => done.finished_at !== t.finished_at && task.reload()} />
          </>
        )}
      </Status>
    </>
  );
}
