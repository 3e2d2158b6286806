import { InMemoryWebStorage, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import type { ConsoleConfig } from './config';

/**
 * The signed-in person. The access token lives in this module's memory only: never in
 * localStorage, sessionStorage, a cookie or the URL. A reload signs out (the identity provider's
 * own session makes signing in again one click).
 */
export interface Session {
  token: string;
  sub: string;
  roles: string[];
  /** ms since the epoch */
  expiresAt: number;
  via: 'oidc' | 'dev';
}

let current: Session | null = null;
/**
 * The ID token of the OIDC sign-in, in this module's memory only: sent back to the identity
 * provider as `id_token_hint` when the person signs out there (RP-Initiated Logout). The API
 * refuses it (its audience is the console's client id, not the API).
 */
let idToken: string | undefined;
/** Why the last session ended, when it was not the person's own choice (shown on the sign-in page). */
let endedBecause: string | undefined;
export const signedOutBecause = (): string | undefined => endedBecause;
let manager: UserManager | null = null;
const listeners = new Set<(s: Session | null) => void>();

export const currentSession = (): Session | null => current;
export const currentToken = (): string | null => (current && current.expiresAt > Date.now() ? current.token : null);

export function onSessionChange(fn: (s: Session | null) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Ends the session when its token expires, so no page (nor a revealed value) outlives it on screen. */
let expiryTimer: ReturnType<typeof setTimeout> | undefined;
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function watchExpiry(): void {
  clearTimeout(expiryTimer);
  expiryTimer = undefined;
  if (!current) return;
  const left = current.expiresAt - Date.now();
  if (left <= 0) signOut('Your session expired: sign in again.');
  // Timers hold at most ~24.8 days: a longer token is checked again then.
  else expiryTimer = setTimeout(watchExpiry, Math.min(left, MAX_TIMEOUT_MS));
}

function setSession(s: Session | null): void {
  if (s) endedBecause = undefined;
  current = s;
  for (const fn of listeners) fn(s);
  watchExpiry();
}

/** The payload of a JWT, for display and for choosing which controls to show (the API verifies it). */
export function decodeClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new Error('not a JWT');
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const json = new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  const claims = JSON.parse(json) as unknown;
  if (!claims || typeof claims !== 'object') throw new Error('not a JWT');
  return claims as Record<string, unknown>;
}

function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (path in payload) return payload[path];
  return path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), payload);
}

export function sessionFromToken(token: string, rolesClaim: string, via: Session['via']): Session {
  const claims = decodeClaims(token.trim());
  const raw = claimAt(claims, rolesClaim);
  const roles = (Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[\s,]+/) : []).filter((r): r is string => typeof r === 'string' && r !== '');
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : 0;
  if (exp <= Date.now()) throw new Error('this token has expired');
  return { token: token.trim(), sub: typeof claims.sub === 'string' ? claims.sub : 'unknown', roles, expiresAt: exp, via };
}

const redirectUri = () => `${window.location.origin}/console/callback`;
/** Where the identity provider sends the browser back after signing out (its post-logout redirect URI). */
export const SIGNED_OUT_PATH = '/console/signed-out';
const postLogoutRedirectUri = () => `${window.location.origin}${SIGNED_OUT_PATH}`;
/** The sign-out state's data: the landing page believes a sign-out only when it finds this tab's state. */
const SIGNED_OUT_STATE = 'strongroom-signed-out';
/** Added to every message of a sign-out that left the identity provider's session alone. */
const IDP_SESSION_NOTE =
  " Only the console signed you out: your identity provider's session may still be active, so anyone at this browser could sign in as you. To end it, sign in and use “Sign out”, or close the browser.";

export function configureOidc(config: ConsoleConfig): void {
  if (!config.oidc) return;
  manager = new UserManager({
    authority: config.oidc.issuer,
    client_id: config.oidc.client_id,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: 'openid',
    // Tokens in memory only. The state store holds the state's id, the PKCE verifier and the
    // return path (no token; no nonce is sent) across the redirect to the identity provider, and
    // is emptied by the callback.
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage, prefix: 'strongroom.oidc.' }),
    // No hidden iframes (the CSP allows none) and no extra calls: the access token is what counts.
    automaticSilentRenew: false,
    monitorSession: false,
    loadUserInfo: false,
    filterProtocolClaims: true,
  });
  // A sign-in abandoned at the identity provider leaves its (token-free) state behind: drop it.
  void manager.clearStaleState();
}

export async function signInWithOidc(returnTo: string): Promise<void> {
  if (!manager) throw new Error('no identity provider is configured');
  await manager.signinRedirect({ url_state: returnTo });
}

/** Completes the authorization-code exchange on /console/callback; returns where to go next. */
export async function completeOidcSignIn(config: ConsoleConfig): Promise<string> {
  if (!manager) throw new Error('no identity provider is configured');
  const user = await manager.signinRedirectCallback();
  setSession(sessionFromToken(user.access_token, config.roles_claim, 'oidc'));
  idToken = user.id_token;
  await manager.removeUser();
  const back = user.url_state;
  return back && back.startsWith('/console') ? back : '/console/';
}

export function signInWithToken(token: string, config: ConsoleConfig): void {
  setSession(sessionFromToken(token, config.roles_claim, 'dev'));
}

/**
 * Ends the session in this tab only (token expiry, a token the API refuses, a development
 * sign-in). After an OIDC sign-in the message says that the identity provider's session is left
 * alone: nothing redirects there without the person's click.
 */
export function signOut(reason?: string): void {
  if (!current) return;
  endedBecause = current.via === 'oidc' ? `${reason ?? 'You are signed out.'}${IDP_SESSION_NOTE}` : reason;
  idToken = undefined;
  setSession(null);
}

/**
 * The "Sign out" button. After an OIDC sign-in, when the issuer's discovery metadata advertises an
 * `end_session_endpoint`, signs out there too (OpenID Connect RP-Initiated Logout 1.0): the
 * browser goes to that endpoint with `id_token_hint`, `post_logout_redirect_uri` =
 * <origin>/console/signed-out and a `state` kept in sessionStorage until the landing page checks
 * it. Otherwise the sign-out is local, and the sign-in page says the provider's session may live on.
 */
export async function signOutByUser(): Promise<void> {
  if (!current) return;
  if (current.via !== 'oidc' || !manager) {
    signOut();
    return;
  }
  let endpoint: string | undefined;
  try {
    endpoint = await manager.metadataService.getEndSessionEndpoint();
  } catch {
    endpoint = undefined;
  }
  if (!endpoint) {
    signOut('You are signed out of the console (your identity provider advertises no end_session_endpoint to sign out at).');
    return;
  }
  const hint = idToken;
  try {
    // Navigates away (the page, and this module's memory, go with it).
    await manager.signoutRedirect({ id_token_hint: hint, post_logout_redirect_uri: postLogoutRedirectUri(), state: SIGNED_OUT_STATE });
  } catch (e) {
    signOut(`You are signed out of the console, but the sign-out at your identity provider could not start (${(e as Error).message}).`);
    return;
  }
  // Nothing stays on screen (nor in memory) while the identity provider's page loads.
  endedBecause = 'Signing out at your identity provider…';
  idToken = undefined;
  setSession(null);
}

/**
 * On /console/signed-out, where the identity provider sends the browser back: checks (and
 * removes) this tab's sign-out state. Returns the notice for the sign-in page, or an error when
 * the provider reported one; nothing for a visit that no sign-out of this tab started.
 */
export async function completeOidcSignOut(): Promise<{ notice?: string; error?: string }> {
  if (!manager || !new URLSearchParams(window.location.search).has('state')) return {};
  try {
    const response = await manager.signoutRedirectCallback();
    if (response.userState !== SIGNED_OUT_STATE) return {};
    return {
      notice:
        'You are signed out. If you chose to stay signed in at your identity provider, its session is still active: on a shared machine, sign out there too or close the browser.',
    };
  } catch (e) {
    return { error: `The sign-out at your identity provider was not confirmed (${(e as Error).message}): its session may still be active.` };
  }
}

export const hasRole = (s: Session | null, ...roles: string[]) => !!s && roles.some((r) => s.roles.includes(r));
export const isAdmin = (s: Session | null) => hasRole(s, 'admin');
