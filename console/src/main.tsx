import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { completeOidcSignIn, completeOidcSignOut, configureOidc, SIGNED_OUT_PATH } from './auth';
import { loadConfig } from './config';
import './styles.css';

async function boot(): Promise<void> {
  const root = createRoot(document.getElementById('root')!);
  let config;
  try {
    config = await loadConfig();
  } catch (e) {
    root.render(<p role="alert">{(e as Error).message}</p>);
    return;
  }
  configureOidc(config);
  let signInError: string | undefined;
  let notice: string | undefined;
  if (window.location.pathname === '/console/callback') {
    try {
      const back = await completeOidcSignIn(config);
      window.history.replaceState(null, '', back);
    } catch (e) {
      signInError = `Sign-in did not complete: ${(e as Error).message}`;
      window.history.replaceState(null, '', '/console/');
    }
  } else if (window.location.pathname === SIGNED_OUT_PATH) {
    // Back from the identity provider's sign-out (RP-Initiated Logout).
    ({ notice, error: signInError } = await completeOidcSignOut());
    window.history.replaceState(null, '', '/console/');
  }
  root.render(
    <StrictMode>
      <App config={config} initialError={signInError} initialNotice={notice} />
    </StrictMode>,
  );
}

void boot();
