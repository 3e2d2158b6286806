import { api, ok } from '../api';
import { PageTitle, Status, useLoad, when } from '../ui';

export function PoliciesPage() {
  const policies = useLoad(() => ok(api.GET('/api/v1/policies')), []);
  return (
    <>
      <PageTitle>Policies</PageTitle>
      <p>Reader access policies: who may list or read which secrets. Admins change them through the API or the CLI.</p>
      <Status loaded={policies}>
        {(l) =>
          l.items.length === 0 ? (
            <p>No policy: readers can read nothing.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Subjects</th>
                  <th scope="col">Capabilities</th>
                  <th scope="col">Secrets</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {l.items.map((p) => (
                  <tr key={p.id}>
                    <th scope="row">
                      {p.name}
                      {p.description ? <small> — {p.description}</small> : null}
                    </th>
                    <td>{p.subjects.join(', ')}</td>
                    <td>{p.capabilities.join(', ')}</td>
                    <td>
                      {[
                        p.name_prefix ? `name starts with ${p.name_prefix}` : '',
                        p.secret_types.length ? `types ${p.secret_types.join(', ')}` : '',
                        Object.keys(p.tags).length
                          ? `tags ${Object.entries(p.tags)
                              .map(([k, v]) => `${k}:${v}`)
                              .join(', ')}`
                          : '',
                        p.secret_ids.length ? `${p.secret_ids.length} named secrets` : '',
                      ]
                        .filter(Boolean)
                        .join('; ') || 'any'}
                    </td>
                    <td>
                      {when(p.updated_at)} by {p.updated_by}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Status>
    </>
  );
}
