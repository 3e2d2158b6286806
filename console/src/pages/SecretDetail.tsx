import { useEffect, useState } from 'react';
import { api, errorText, ok, type Schemas } from '../api';
import { Link } from '../router';
import { ErrorText, PageTitle, Status, useLoad, when } from '../ui';
import { TaskProgress } from './TaskProgress';

export function SecretDetailPage({ id, admin }: { id: string; admin: boolean }) {
  const secret = useLoad(() => ok(api.GET('/api/v1/secrets/{id}', { params: { path: { id } } })), [id]);
  const [deleted, setDeleted] = useState(false);

  if (deleted || (secret.error && secret.data === undefined && !secret.loading)) {
    return <Missing id={id} admin={admin} deleted={deleted} error={secret.error} onRestored={() => (setDeleted(false), secret.reload())} />;
  }
  return (
    <Status loaded={secret}>
      {(s) => (
        <>
          <p className="crumbs">
            <Link to="/console/secrets">Secrets</Link> /
          </p>
          <PageTitle>{s.name}</PageTitle>
          <dl className="facts">
            <dt>Id</dt>
            <dd>
              <code>{s.id}</code>
            </dd>
            <dt>Type</dt>
            <dd>{s.secret_type}</dd>
            <dt>Store</dt>
            <dd>{s.store}</dd>
            <dt>Current version</dt>
            <dd data-field="version">{s.version}</dd>
            <dt>Rotation status</dt>
            <dd>{s.rotation_status}</dd>
            <dt>Last rotated</dt>
            <dd>{when(s.last_rotated_at)}</dd>
            <dt>Next rotation</dt>
            <dd>{when(s.next_rotation_at)}</dd>
            <dt>Expires</dt>
            <dd>{when(s.expires_at)}</dd>
            <dt>Description</dt>
            <dd>{s.description ?? '—'}</dd>
            <dt>Tags</dt>
            <dd>
              {Object.keys(s.tags).length === 0 ? (
                '—'
              ) : (
                <ul className="tags">
                  {Object.entries(s.tags).map(([k, v]) => (
                    <li key={k}>
                      {k}: {v}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </dl>
          {admin ? <AdminActions secret={s} onChanged={secret.reload} onDeleted={() => setDeleted(true)} /> : null}
          <Versions id={id} version={s.version} />
          <Rotations id={id} version={s.version} />
          <Consumers id={id} />
        </>
      )}
    </Status>
  );
}

function Missing({ id, admin, deleted, error, onRestored }: { id: string; admin: boolean; deleted: boolean; error?: string; onRestored: () => void }) {
  const [problem, setProblem] = useState<string>();
  const restore = async () => {
    try {
      await ok(api.POST('/api/v1/secrets/{id}/restore', { params: { path: { id } } }));
      onRestored();
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  return (
    <>
      <p className="crumbs">
        <Link to="/console/secrets">Secrets</Link> /
      </p>
      <PageTitle>{deleted ? 'Secret deleted' : 'Secret not found'}</PageTitle>
      <p role="status">{deleted ? `The secret ${id} was deleted; it can be restored within the retention period.` : `${error ?? 'Unknown or deleted secret'} (${id}).`}</p>
      {admin ? (
        <button type="button" onClick={restore}>
          Restore
        </button>
      ) : null}
      <ErrorText error={problem} />
    </>
  );
}

function AdminActions({ secret, onChanged, onDeleted }: { secret: Schemas['SecretResponseDto']; onChanged: () => void; onDeleted: () => void }) {
  return (
    <section aria-labelledby="actions-h" className="actions">
      <h2 id="actions-h">Actions</h2>
      <Rotate secret={secret} onDone={onChanged} />
      {/* Keyed by version: a rotation (or any new version) hides a value revealed before it. */}
      <Reveal key={secret.version} id={secret.id} />
      <Delete id={secret.id} name={secret.name} onDeleted={onDeleted} />
    </section>
  );
}

function Rotate({ secret, onDone }: { secret: Schemas['SecretResponseDto']; onDone: () => void }) {
  const [check, setCheck] = useState<Schemas['DryRunResponseDto']>();
  const [task, setTask] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  const dryRun = async () => {
    setBusy(true);
    setProblem(undefined);
    setTask(undefined);
    try {
      const r = await ok(api.POST('/api/v1/secrets/{id}/rotate', { params: { path: { id: secret.id }, query: { dry_run: true } }, body: {} }));
      setCheck(r as Schemas['DryRunResponseDto']);
    } catch (e) {
      setProblem(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const rotate = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      // One secret through the bulk endpoint: a background task whose progress the tasks API reports.
      const t = await ok(api.POST('/api/v1/secrets/rotate-bulk', { body: { ids: [secret.id], reason: 'rotated from the console' } }));
      setCheck(undefined);
      setTask(t.task_id);
    } catch (e) {
      setProblem(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="action">
      <h3>Rotate</h3>
      <button type="button" onClick={dryRun} disabled={busy}>
        Check rotation (dry run)
      </button>
      {check ? (
        <div aria-live="polite">
          <p>
            Rotator <code>{check.rotator}</code>: {check.ready ? 'every check passed.' : 'a check failed; rotation would fail.'}
          </p>
          <ul className="checks">
            {check.checks.map((c) => (
              <li key={c.check} className={c.ok ? 'good' : 'bad'}>
                {c.ok ? '✓' : '✗'} {c.check}
                {c.detail ? ` — ${c.detail}` : ''}
              </li>
            ))}
          </ul>
          <button type="button" className="primary" onClick={rotate} disabled={busy || !check.ready}>
            Rotate now
          </button>
          <button type="button" onClick={() => setCheck(undefined)}>
            Cancel
          </button>
        </div>
      ) : null}
      {task ? <TaskProgress id={task} label="Rotation" onFinished={onDone} /> : null}
      <ErrorText error={problem} />
    </div>
  );
}

/** The value is shown only after an explicit click, kept in this component's state only, and gone on navigation. */
function Reveal({ id }: { id: string }) {
  const [value, setValue] = useState<string | null>(null);
  const [problem, setProblem] = useState<string>();
  useEffect(() => () => setValue(null), [id]);
  const reveal = async () => {
    setProblem(undefined);
    try {
      const v = await ok(api.GET('/api/v1/secrets/{id}/value', { params: { path: { id } } }));
      setValue(v.value);
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  return (
    <div className="action">
      <h3>Value</h3>
      {value === null ? (
        <>
          <p>Revealing the value is recorded in the audit log under your name.</p>
          <button type="button" onClick={reveal}>
            Reveal value
          </button>
        </>
      ) : (
        <>
          <label htmlFor="revealed">Current value</label>
          <output id="revealed" className="secret-value">
            {value}
          </output>
          <button type="button" onClick={() => setValue(null)}>
            Hide value
          </button>
        </>
      )}
      <ErrorText error={problem} />
    </div>
  );
}

function Delete({ id, name, onDeleted }: { id: string; name: string; onDeleted: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string>();
  const remove = async () => {
    try {
      await ok(api.DELETE('/api/v1/secrets/{id}', { params: { path: { id } } }));
      onDeleted();
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  return (
    <div className="action">
      <h3>Delete</h3>
      {confirming ? (
        <>
          <p role="alert">Delete {name}? It can be restored within the retention period.</p>
          <button type="button" className="danger" onClick={remove}>
            Yes, delete
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </>
      ) : (
        <button type="button" onClick={() => setConfirming(true)}>
          Delete secret
        </button>
      )}
      <ErrorText error={problem} />
    </div>
  );
}

function Versions({ id, version }: { id: string; version: number }) {
  const versions = useLoad(() => ok(api.GET('/api/v1/secrets/{id}/versions', { params: { path: { id } } })), [id, version]);
  return (
    <section aria-labelledby="versions-h">
      <h2 id="versions-h">Versions</h2>
      <Status loaded={versions}>
        {(vs) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
                <th scope="col">By</th>
              </tr>
            </thead>
            <tbody>
              {vs.map((v) => (
                <tr key={v.version}>
                  <td>{v.version}</td>
                  <td>{v.state}</td>
                  <td>{when(v.created_at)}</td>
                  <td>{v.created_by}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Status>
    </section>
  );
}

function Rotations({ id, version }: { id: string; version: number }) {
  const rotations = useLoad(() => ok(api.GET('/api/v1/secrets/{id}/rotations', { params: { path: { id } } })), [id, version]);
  return (
    <section aria-labelledby="rotations-h">
      <h2 id="rotations-h">Rotation history</h2>
      <Status loaded={rotations}>
        {(rs) =>
          rs.length === 0 ? (
            <p>Never rotated.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Status</th>
                  <th scope="col">Versions</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">By</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {rs.map((r) => (
                  <tr key={r.id}>
                    <td>{when(r.finished_at ?? r.created_at)}</td>
                    <td>{r.status}</td>
                    <td>
                      {r.from_version ?? '—'} → {r.to_version ?? '—'}
                    </td>
                    <td>{r.trigger}</td>
                    <td>{r.triggered_by}</td>
                    <td>{r.last_error ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Status>
    </section>
  );
}

function Consumers({ id }: { id: string }) {
  const consumers = useLoad(() => ok(api.GET('/api/v1/secrets/{id}/consumers', { params: { path: { id } } })), [id]);
  return (
    <section aria-labelledby="consumers-h">
      <h2 id="consumers-h">Consumers</h2>
      <Status loaded={consumers}>
        {(c) =>
          c.consumers.length === 0 ? (
            <p>No reader has read this value.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Reader</th>
                  <th scope="col">Last version</th>
                  <th scope="col">Reads</th>
                  <th scope="col">Last read</th>
                  <th scope="col">Active</th>
                </tr>
              </thead>
              <tbody>
                {c.consumers.map((x) => (
                  <tr key={x.sub}>
                    <td>{x.sub}</td>
                    <td>
                      {x.last_version}
                      {x.on_current_version ? '' : ' (not current)'}
                    </td>
                    <td>{x.read_count}</td>
                    <td>{when(x.last_read_at)}</td>
                    <td>{x.active ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Status>
    </section>
  );
}

