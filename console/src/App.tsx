import { type FormEvent, useEffect, useState } from 'react';
import { currentSession, hasRole, isAdmin, onSessionChange, type Session, signedOutBecause, signInWithOidc, signInWithToken, signOutByUser } from './auth';
import type { ConsoleConfig } from './config';
import { AuditPage } from './pages/Audit';
import { IncidentDetailPage, IncidentsPage } from './pages/Incidents';
import { JobsPage, TaskPage } from './pages/Jobs';
import { OverviewPage } from './pages/Overview';
import { PoliciesPage } from './pages/Policies';
import { ReportsPage } from './pages/Reports';
import { SecretDetailPage } from './pages/SecretDetail';
import { SecretsPage } from './pages/Secrets';
import { Link, useLocation } from './router';
import { PageTitle } from './ui';

const NAV = [
  { to: '/console/', label: 'Overview' },
  { to: '/console/secrets', label: 'Secrets' },
  { to: '/console/reports', label: 'Reports' },
  { to: '/console/audit', label: 'Audit' },
  { to: '/console/jobs', label: 'Jobs and tasks' },
  { to: '/console/policies', label: 'Policies' },
  { to: '/console/incidents', label: 'Incidents' },
];

export function App({ config, initialError, initialNotice }: { config: ConsoleConfig; initialError?: string; initialNotice?: string }) {
  const [session, setSession] = useState<Session | null>(currentSession());
  // The boot's messages (a failed callback, a completed sign-out) are for the first sign-in page only.
  const [boot, setBoot] = useState<{ error?: string; notice?: string }>({ error: initialError, notice: initialNotice });
  useEffect(
    () =>
      onSessionChange((s) => {
        setSession(s);
        if (s) setBoot({});
      }),
    [],
  );
  const { path } = useLocation();

  if (!session) return <SignIn config={config} error={boot.error ?? signedOutBecause()} notice={boot.notice} />;

  const active = (to: string) => (to === '/console/' ? path === '/console/' || path === '/console' : path.startsWith(to));
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Strongroom</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={active(n.to) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span>
            Signed in as <strong>{session.sub}</strong> ({session.roles.join(', ') || 'no role'})
            {session.via === 'dev' ? ' · development sign-in' : ''}
          </span>
          <button type="button" onClick={() => void signOutByUser()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        {hasRole(session, 'admin', 'auditor') ? (
          <Route path={path} session={session} />
        ) : (
          <>
            <PageTitle>No console access</PageTitle>
            <p>
              The console is for admins and auditors; your token carries {session.roles.length ? `the roles ${session.roles.join(', ')}` : 'no role'}. Readers
              read their secrets through the API or <code>strongroom run</code>.
            </p>
          </>
        )}
      </main>
    </>
  );
}

function Route({ path, session }: { path: string; session: Session }) {
  const secret = /^\/console\/secrets\/([^/]+)$/.exec(path);
  if (secret) return <SecretDetailPage key={secret[1]} id={decodeURIComponent(secret[1]!)} admin={isAdmin(session)} />;
  if (path.startsWith('/console/secrets')) return <SecretsPage />;
  if (path.startsWith('/console/reports')) return <ReportsPage admin={isAdmin(session)} />;
  if (path.startsWith('/console/audit')) return <AuditPage />;
  const task = /^\/console\/jobs\/tasks\/([^/]+)$/.exec(path);
  if (task) return <TaskPage key={task[1]} id={decodeURIComponent(task[1]!)} />;
  if (path.startsWith('/console/jobs')) return <JobsPage admin={isAdmin(session)} />;
  const incident = /^\/console\/incidents\/([^/]+)$/.exec(path);
  if (incident) return <IncidentDetailPage key={incident[1]} id={decodeURIComponent(incident[1]!)} admin={isAdmin(session)} />;
  if (path.startsWith('/console/incidents')) return <IncidentsPage admin={isAdmin(session)} />;
  if (path.startsWith('/console/policies')) return <PoliciesPage />;
  if (path === '/console' || path === '/console/') return <OverviewPage />;
  return (
    <>
      <PageTitle>Not found</PageTitle>
      <p>
        There is no page here. <Link to="/console/">Go to the overview</Link>.
      </p>
    </>
  );
}

function SignIn({ config, error, notice }: { config: ConsoleConfig; error?: string; notice?: string }) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | undefined>(error);
  const [busy, setBusy] = useState(false);

  const oidc = async () => {
    setBusy(true);
    try {
      const back = window.location.pathname.startsWith('/console') ? window.location.pathname + window.location.search : '/console/';
      await signInWithOidc(back);
    } catch (e) {
      setProblem(`Could not reach the identity provider: ${(e as Error).message}`);
      setBusy(false);
    }
  };
  const dev = (e: FormEvent) => {
    e.preventDefault();
    try {
      signInWithToken(token, config);
      setToken('');
    } catch (err) {
      setProblem(`That token cannot be used: ${(err as Error).message}`);
    }
  };

  return (
    <main id="main" className="signin">
      <PageTitle>Strongroom console</PageTitle>
      {problem ? (
        <p role="alert" className="error">
          {problem}
        </p>
      ) : null}
      {notice && !problem ? (
        <p role="status" className="notice">
          {notice}
        </p>
      ) : null}
      {config.oidc ? (
        <section aria-labelledby="oidc-h">
          <h2 id="oidc-h">Sign in with your organisation</h2>
          <button type="button" className="primary" onClick={oidc} disabled={busy}>
            Sign in
          </button>
        </section>
      ) : (
        <p>No identity provider is configured (OIDC_ISSUER and OIDC_CLIENT_ID).</p>
      )}
      {config.dev_sign_in ? (
        <section aria-labelledby="dev-h" className="dev">
          <h2 id="dev-h">Development sign-in</h2>
          <p>
            For local development only (never offered with NODE_ENV=production): paste a token made by{' '}
            <code>npm run token -- --role admin</code>. It is kept in this tab's memory only.
          </p>
          <form onSubmit={dev}>
            <label htmlFor="dev-token">Token</label>
            <textarea id="dev-token" name="token" rows={4} value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" spellCheck={false} required />
            <button type="submit">Use this token</button>
          </form>
        </section>
      ) : null}
    </main>
  );
}
