import { type FormEvent, useState } from 'react';
import { api, ok } from '../api';
import { Link } from '../router';
import { Pager, PageTitle, Status, useCursorPages, useLoad, when } from '../ui';

const TYPES = ['API_KEY', 'DATABASE_PASSWORD', 'ENCRYPTION_KEY', 'JWT_SECRET', 'WEBHOOK_SECRET', 'OAUTH_TOKEN', 'SERVICE_ACCOUNT_KEY', 'TLS_CERTIFICATE'] as const;
const STATUSES = ['none', 'pending', 'in_progress', 'completed', 'failed', 'rotation_due'] as const;

interface Filters {
  name_prefix: string;
  secret_type: '' | (typeof TYPES)[number];
  rotation_status: '' | (typeof STATUSES)[number];
  tag: string;
  expired_only: boolean;
  /** Days ahead, '' for none. */
  expiring_within_days: string;
}

const EMPTY: Filters = { name_prefix: '', secret_type: '', rotation_status: '', tag: '', expired_only: false, expiring_within_days: '' };
const PAGE = 25;

export function SecretsPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const pages = useCursorPages();
  const cursor = pages.cursor;

  const list = useLoad(
    () =>
      ok(
        api.GET('/api/v1/secrets', {
          params: {
            query: {
              limit: PAGE,
              cursor,
              ...(filters.name_prefix ? { name_prefix: filters.name_prefix } : {}),
              ...(filters.secret_type ? { secret_type: filters.secret_type } : {}),
              ...(filters.rotation_status ? { rotation_status: filters.rotation_status } : {}),
              ...(filters.tag ? { tag: filters.tag.split(',').map((t) => t.trim()).filter(Boolean) } : {}),
              ...(filters.expired_only ? { expired_only: true } : {}),
              ...(filters.expiring_within_days && !filters.expired_only ? { expiring_within_days: Number(filters.expiring_within_days) } : {}),
            },
          },
        }),
      ),
    [filters, cursor],
  );

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters(draft);
    pages.reset();
  };

  return (
    <>
      <PageTitle>Secrets</PageTitle>
      <form className="filters" onSubmit={apply} aria-label="Filter secrets">
        <label>
          Name starts with
          <input value={draft.name_prefix} maxLength={255} onChange={(e) => setDraft({ ...draft, name_prefix: e.target.value })} />
        </label>
        <label>
          Type
          <select value={draft.secret_type} onChange={(e) => setDraft({ ...draft, secret_type: e.target.value as Filters['secret_type'] })}>
            <option value="">Any</option>
            {TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Rotation status
          <select value={draft.rotation_status} onChange={(e) => setDraft({ ...draft, rotation_status: e.target.value as Filters['rotation_status'] })}>
            <option value="">Any</option>
            {STATUSES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Tags (key:value, comma separated)
          <input value={draft.tag} maxLength={500} onChange={(e) => setDraft({ ...draft, tag: e.target.value })} />
        </label>
        <label className="check">
          <input type="checkbox" checked={draft.expired_only} onChange={(e) => setDraft({ ...draft, expired_only: e.target.checked })} />
          Expired only
        </label>
        <label>
          Expiring within (days)
          <input
            type="number"
            min={1}
            max={365}
            step={1}
            value={draft.expiring_within_days}
            disabled={draft.expired_only}
            onChange={(e) => setDraft({ ...draft, expiring_within_days: e.target.value })}
          />
        </label>
        <button type="submit">Apply filters</button>
      </form>
      <Status loaded={list}>
        {(l) => (
          <>
            {l.items.length === 0 ? (
              <p>No secret matches.</p>
            ) : (
              <table>
                <caption className="sr-only">Secrets</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Version</th>
                    <th scope="col">Rotation</th>
                    <th scope="col">Last rotated</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Tags</th>
                  </tr>
                </thead>
                <tbody>
                  {l.items.map((s) => (
                    <tr key={s.id}>
                      <th scope="row">
                        <Link to={`/console/secrets/${encodeURIComponent(s.id)}`}>{s.name}</Link>
                        {s.deleted_at ? <span className="badge">deleted</span> : null}
                      </th>
                      <td>{s.secret_type}</td>
                      <td>{s.version}</td>
                      <td>{s.rotation_status}</td>
                      <td>{when(s.last_rotated_at)}</td>
                      <td>{when(s.expires_at)}</td>
                      <td>
                        {Object.entries(s.tags)
                          .map(([k, v]) => `${k}:${v}`)
                          .join(', ')}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <Pager pages={pages} next={l.next_cursor} />
          </>
        )}
      </Status>
    </>
  );
}
