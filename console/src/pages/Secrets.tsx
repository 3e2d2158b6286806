import { api, ok } from '../api';
import { Link } from '../router';
import { Choice, FilterForm, Pager, PageTitle, Status, useCursorPages, useFilters, useLoad, when } from '../ui';

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
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const { draft, applied: filters, edit, apply } = useFilters(EMPTY, pages);

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

  return (
    <>
      <PageTitle>Secrets</PageTitle>
      <FilterForm label="Filter secrets" onApply={apply} onRefresh={list.reload}>
        <label>
          Name starts with
          <input value={draft.name_prefix} maxLength={255} onChange={(e) => edit({ name_prefix: e.target.value })} />
        </label>
        <Choice label="Type" value={draft.secret_type} options={TYPES} onChange={(secret_type) => edit({ secret_type })} />
        <Choice label="Rotation status" value={draft.rotation_status} options={STATUSES} onChange={(rotation_status) => edit({ rotation_status })} />
        <label>
          Tags (key:value, comma separated)
          <input value={draft.tag} maxLength={500} onChange={(e) => edit({ tag: e.target.value })} />
        </label>
        <label className="check">
          <input type="checkbox" checked={draft.expired_only} onChange={(e) => edit({ expired_only: e.target.checked })} />
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
            onChange={(e) => edit({ expiring_within_days: e.target.value })}
          />
        </label>
      </FilterForm>
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
