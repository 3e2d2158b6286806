import { useState } from 'react';
import { api, download, errorText, ok, type Schemas } from '../api';
import { Choice, ErrorText, FilterForm, Pager, PageTitle, Status, useCursorPages, useFilters, useLoad, when, whenExact } from '../ui';

const OUTCOMES = ['success', 'denied', 'error'] as const;

interface Filters {
  actor: string;
  action: string;
  secret_id: string;
  outcome: '' | (typeof OUTCOMES)[number];
  from: string;
  to: string;
}
const EMPTY: Filters = { actor: '', action: '', secret_id: '', outcome: '', from: '', to: '' };
const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function AuditPage() {
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const { draft, applied: filters, edit, apply } = useFilters(EMPTY, pages);
  const events = useLoad(
    () =>
      ok(
        api.GET('/api/v1/audit/events', {
          params: {
            query: {
              limit: 50,
              cursor,
              ...(filters.actor ? { actor: filters.actor } : {}),
              ...(filters.action ? { action: filters.action } : {}),
              ...(filters.secret_id ? { secret_id: filters.secret_id } : {}),
              ...(filters.outcome ? { outcome: filters.outcome } : {}),
              ...(filters.from ? { from: iso(filters.from) } : {}),
              ...(filters.to ? { to: iso(filters.to) } : {}),
            },
          },
        }),
      ),
    [filters, cursor],
  );
  const field = (name: keyof Filters, label: string, type = 'text') => (
    <label>
      {label}
      <input type={type} value={draft[name]} maxLength={256} onChange={(e) => edit({ [name]: e.target.value })} />
    </label>
  );

  return (
    <>
      <PageTitle>Audit</PageTitle>
      <Verify />
      <FilterForm label="Filter audit events" onApply={apply} onRefresh={events.reload}>
        {field('actor', 'Actor')}
        {field('action', 'Action')}
        {field('secret_id', 'Secret id')}
        <Choice label="Outcome" value={draft.outcome} options={OUTCOMES} onChange={(outcome) => edit({ outcome })} />
        {field('from', 'From', 'datetime-local')}
        {field('to', 'To', 'datetime-local')}
      </FilterForm>
      <Export from={iso(filters.from)} to={iso(filters.to)} />
      <Status loaded={events}>
        {(l) => (
          <>
            <EventTable items={l.items} />
            <Pager pages={pages} next={l.next_cursor} labels={['Newer events', 'Older events']} />
          </>
        )}
      </Status>
    </>
  );
}

function EventTable({ items }: { items: Schemas['AuditEventDto'][] }) {
  if (items.length === 0) return <p>No event matches.</p>;
  return (
    <table className="audit">
      <caption className="sr-only">Audit events, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Seq</th>
          <th scope="col">Time</th>
          <th scope="col">Actor</th>
          <th scope="col">Action</th>
          <th scope="col">Secret</th>
          <th scope="col">Outcome</th>
          <th scope="col">Client</th>
        </tr>
      </thead>
      <tbody>
        {items.map((e) => (
          <tr key={`${e.seq}-${e.request_id ?? ''}-${e.occurred_at}`}>
            <td>{e.seq}</td>
            <td>{whenExact(e.occurred_at)}</td>
            <td>{e.actor}</td>
            <td>{e.action}</td>
            <td>{e.secret_name ?? e.secret_id ?? ''}</td>
            <td className={e.outcome === 'success' ? '' : 'bad'}>{e.outcome}</td>
            <td>{e.client_ip ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Verify() {
  const [result, setResult] = useState<{ r: Schemas['AuditVerifyResultDto']; at: string }>();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      setResult({ r: await ok(api.GET('/api/v1/audit/verify')), at: new Date().toISOString() });
    } catch (e) {
      setProblem(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="verify-h" className="inline">
      <h2 id="verify-h">Chain</h2>
      <button type="button" onClick={run} disabled={busy}>
        Verify the chain
      </button>
      {result ? (
        <p role="status" className={result.r.valid ? 'good' : 'bad'}>
          {result.r.valid ? 'Intact' : `Broken at ${result.r.first_invalid_id ?? '?'}: ${result.r.reason ?? ''}`}: {result.r.checked} events checked, verified{' '}
          {when(result.at)}
        </p>
      ) : null}
      <ErrorText error={problem} />
    </section>
  );
}

function Export({ from, to }: { from?: string; to?: string }) {
  const [problem, setProblem] = useState<string>();
  const go = (format: 'jsonl' | 'csv') => {
    const q = new URLSearchParams({ format, ...(from ? { from } : {}), ...(to ? { to } : {}) });
    download(`/api/v1/audit/export?${q}`, `strongroom-audit.${format}`).catch((e: unknown) => setProblem(errorText(e)));
  };
  return (
    <div className="inline">
      <span>Export (the filter's time range):</span>
      <button type="button" onClick={() => go('jsonl')}>
        Export JSONL (verifiable)
      </button>
      <button type="button" onClick={() => go('csv')}>
        Export CSV
      </button>
      <ErrorText error={problem} />
    </div>
  );
}
