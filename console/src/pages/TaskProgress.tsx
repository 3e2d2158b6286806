import { useEffect, useState } from 'react';
import { api, errorText, ok, type Schemas } from '../api';

/** Polls GET /api/v1/secrets/task/{id}/status until the task ends, with a progress bar. */
export function TaskProgress({ id, label, onFinished }: { id: string; label: string; onFinished?: (t: Schemas['TaskStatusDto']) => void }) {
  const [task, setTask] = useState<Schemas['TaskStatusDto']>();
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const t = await ok(api.GET('/api/v1/secrets/task/{id}/status', { params: { path: { id } } }));
        if (!live) return;
        setTask(t);
        if (t.status === 'completed' || t.status === 'failed') onFinished?.(t);
        else timer = setTimeout(poll, 500);
      } catch (e) {
        if (live) setProblem(errorText(e));
      }
    };
    void poll();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  const total = task?.progress.total ?? 0;
  const done = (task?.progress.done ?? 0) + (task?.progress.failed ?? 0);
  return (
    <div className="task" aria-live="polite">
      <label htmlFor={`task-${id}`}>
        {label} task <code>{id}</code>: <span data-task-status={task?.status ?? 'pending'}>{task?.status ?? 'pending'}</span>
      </label>
      <progress id={`task-${id}`} max={Math.max(total, 1)} value={task?.status === 'completed' ? Math.max(total, 1) : done} />
      <span>
        {done} of {total} done{task && task.progress.failed > 0 ? `, ${task.progress.failed} failed` : ''}
      </span>
      {task && task.failures.length > 0 ? (
        <ul className="bad">
          {task.failures.map((f) => (
            <li key={f.target}>
              {f.target}: {f.error}
            </li>
          ))}
        </ul>
      ) : null}
      {problem ? <p role="alert" className="error">{problem}</p> : null}
    </div>
  );
}
