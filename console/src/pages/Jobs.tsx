import { useState } from 'react';
import { api, errorText, ok } from '../api';
import { ErrorText, PageTitle, Status, useLoad, when } from '../ui';

export function JobsPage({ admin }: { admin: boolean }) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
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
              <nav className="pager" aria-label="Pages">
                <button type="button" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
                  Newer runs
                </button>
                <button type="button" disabled={!j.next_cursor} onClick={() => setCursors([...cursors, j.next_cursor ?? undefined])}>
                  Older runs
                </button>
              </nav>
            </section>
          </>
        )}
      </Status>
    </>
  );
}
