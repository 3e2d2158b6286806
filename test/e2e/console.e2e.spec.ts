/**
 * The web console (/console) in real headless Chromium (Debian's chromium, driven by
 * playwright-core) against the service on the real PostgreSQL, signing in through a real OpenID
 * provider (oidc-provider, test/support/oidc-idp.ts) with authorization code + PKCE.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, TEST_ENCRYPTION_KEY, type TestApp } from '../support/app.js';
import { EMBEDDED_DB } from '../support/database.js';
import { freePort, idpEnvFor, type OidcIdp, startOidcIdp } from '../support/oidc-idp.js';
import { hsToken, TEST_JWT_SECRET } from '../support/tokens.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`console e2e skipped: no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);

// The README's picture is rewritten only when asked (STRONGROOM_UPDATE_SCREENSHOT=1): a test run
// must not dirty the checkout. Otherwise the screenshot is still taken, into a scratch file.
const SCREENSHOT = process.env.STRONGROOM_UPDATE_SCREENSHOT
  ? resolve(import.meta.dirname, '..', '..', 'docs', 'console-overview.png')
  : join(tmpdir(), `strongroom-console-overview-${process.pid}.png`);

const form = (o: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(o).toString(),
});

function expectedCsp(issuerOrigin?: string): string {
  const extra = issuerOrigin ? ` ${issuerOrigin}` : '';
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'${extra}; form-action 'self'${extra}; frame-ancestors 'none'; base-uri 'none'`;
}

async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A page that records every CSP violation and page error it meets. */
async function newPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return { page, problems };
}

async function storageOf(page: Page): Promise<{ local: string; session: string; url: string }> {
  // Runs in the page (the test's tsconfig has no DOM types).
  return page.evaluate('({ local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }), url: location.href })');
}

describe.skipIf(!haveChromium)('web console in headless Chromium', () => {
  let app: TestApp;
  let idp: OidcIdp;
  let browser: Browser;
  let adminToken: string;
  let auditorToken: string;
  const suffix = randomBytes(3).toString('hex');
  const names = {
    plain: `console_api_${suffix}`,
    expiring: `console_expiring_${suffix}`,
    expired: `console_expired_${suffix}`,
    rotate: `console_rotate_${suffix}`,
    leaked: `console_leak_${suffix}`,
  };
  const ids: Record<string, string> = {};

  /** An access token from the IdP through the device flow (the CLI client), for the test's own API calls. */
  async function deviceToken(accountId: string): Promise<string> {
    const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    const auth = (await (await fetch(meta.device_authorization_endpoint!, form({ client_id: idp.cliClientId, scope: 'openid' }))).json()) as {
      device_code: string;
      user_code: string;
    };
    await idp.approveDevice(auth.user_code, accountId);
    const res = await fetch(meta.token_endpoint!, form({ client_id: idp.cliClientId, grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: auth.device_code }));
    const body = (await res.json()) as { access_token: string };
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body.access_token;
  }

  /** Signs in at /console through the IdP's login page; ends on the overview. */
  async function signIn(page: Page, account: string): Promise<void> {
    await page.goto(`${app.url}/console/`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.toString().startsWith(idp.issuer));
    await page.getByLabel('Account').fill(account);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    expect(page.url()).toBe(`${app.url}/console/`);
    await page.getByText(`Signed in as ${account}`).waitFor();
  }

  beforeAll(async () => {
    const idpPort = await freePort();
    const issuer = `http://127.0.0.1:${idpPort}`;
    app = await startTestApp({ env: { ...idpEnvFor(idpPort), OIDC_ISSUER: issuer, OIDC_CLIENT_ID: 'strongroom-console' } });
    idp = await startOidcIdp({ port: idpPort, consoleRedirectUris: [`${app.url}/console/callback`] });
    adminToken = await deviceToken('alice-admin');
    auditorToken = await deviceToken('carol-auditor');

    const create = async (body: Record<string, unknown>) => {
      const r = await app.call('POST', '/api/v1/secrets', { token: adminToken, body });
      expect(r.status, r.text).toBe(201);
      return r.body.id as string;
    };
    ids.plain = await create({ name: names.plain, secret_type: 'API_KEY', tags: { env: 'test' } });
    ids.rotate = await create({ name: names.rotate, secret_type: 'API_KEY', tags: { env: 'test' } });
    ids.expiring = await create({ name: names.expiring, secret_type: 'WEBHOOK_SECRET', expires_at: new Date(Date.now() + 3 * 86_400_000).toISOString() });
    ids.expired = await create({ name: names.expired, secret_type: 'DATABASE_PASSWORD', expires_at: new Date(Date.now() - 86_400_000).toISOString() });
    ids.leaked = await create({ name: names.leaked, secret_type: 'API_KEY' });
    // bob-reader may read the leaked secret (and reads it in the incident test).
    const policy = await app.call('POST', '/api/v1/policies', {
      token: adminToken,
      body: { name: `console-leak-${suffix}`, subjects: ['bob-reader'], name_prefix: names.leaked, capabilities: ['read_value', 'list'] },
    });
    expect(policy.status, policy.text).toBe(201);
    const report = await app.call('POST', '/api/v1/reports', { token: adminToken, body: { kind: 'security' } });
    expect(report.status, report.text).toBe(201);
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await idp?.close();
    await app?.stop();
  });

  it('serves the console with a strict Content-Security-Policy, and its settings at config.json', async () => {
    const csp = expectedCsp(idp.issuer);
    for (const path of ['/console', '/console/', '/console/secrets/abc', '/console/config.json']) {
      const res = await fetch(app.url + path);
      await res.arrayBuffer(); // a body left unread keeps the connection busy, and the app's close waits for it
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy'), path).toBe(csp);
    }
    const html = await (await fetch(`${app.url}/console/`)).text();
    expect(html).toContain('<div id="root">');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/\sstyle=|<style/); // no inline style
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(app.url + script);
    expect((await js.text()).length).toBeGreaterThan(1000);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(js.headers.get('content-security-policy')).toBe(csp);
    for (const sneaky of ['/console/assets/..%2f..%2fpackage.json', '/console/..%2fpackage.json', '/console/%2e%2e/%2e%2e/package.json']) {
      const res = await fetch(app.url + sneaky);
      const text = await res.text();
      expect(text, sneaky).not.toContain('"dependencies"');
    }
    const missing = await fetch(`${app.url}/console/assets/missing.js`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('Not found\n');
    expect(await (await fetch(`${app.url}/console/config.json`)).json()).toEqual({
      oidc: { issuer: idp.issuer, client_id: 'strongroom-console' },
      dev_sign_in: false,
      roles_claim: 'roles',
    });
  });

  it('an auditor signs in through the IdP, sees the stats, downloads the security report PDF, and has no change control', async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1360, height: 1000 } });
    try {
      const { page, problems } = await newPage(context);
      await signIn(page, 'carol-auditor');

      // The overview's numbers are the API's.
      await page.locator('[data-stat="total"]').waitFor();
      const stats = await app.call('GET', '/api/v1/secrets/stats', { token: auditorToken });
      expect(stats.status).toBe(200);
      const shown = async (name: string) => Number(await page.locator(`[data-stat="${name}"]`).textContent());
      expect(await shown('total')).toBe(stats.body.total);
      expect(await shown('expired')).toBe(stats.body.expired);
      expect(await shown('expiring_within_7_days')).toBe(stats.body.expiring_within_7_days);
      expect(await shown('expiring_within_30_days')).toBe(stats.body.expiring_within_30_days);
      expect(await shown('rotation_overdue')).toBe(stats.body.rotation_overdue);
      expect(await shown('open_security_findings')).toBe(stats.body.open_security_findings.total);
      expect(stats.body.total).toBeGreaterThanOrEqual(4);
      expect(stats.body.expiring_within_7_days).toBeGreaterThanOrEqual(1);
      expect(stats.body.expired).toBeGreaterThanOrEqual(1);
      await page.getByRole('region', { name: 'Expired secrets' }).getByRole('link', { name: names.expired }).waitFor();
      // Expiring within 7 days: the secrets the list API's expiring_within_days=7 returns, with type and expiry.
      const expiringRegion = page.getByRole('region', { name: 'Expiring within 7 days' });
      await expiringRegion.getByRole('link', { name: names.expiring }).waitFor();
      const expiringApi = await app.call('GET', '/api/v1/secrets?expiring_within_days=7&limit=10', { token: auditorToken });
      expect(expiringApi.status, expiringApi.text).toBe(200);
      const expiringNames = (expiringApi.body.items as { name: string }[]).map((x) => x.name);
      expect(expiringNames).toContain(names.expiring);
      expect(expiringNames).not.toContain(names.expired);
      expect(await expiringRegion.getByRole('link').allTextContents()).toEqual(expiringNames);
      const expiringItem = expiringRegion.getByRole('listitem').filter({ hasText: names.expiring });
      expect(await expiringItem.textContent()).toContain('WEBHOOK_SECRET');
      expect(await expiringItem.locator('time').getAttribute('datetime')).toBe(expiringApi.body.items.find((x: { name: string }) => x.name === names.expiring).expires_at);
      expect(await expiringRegion.getByRole('link', { name: names.expired }).count()).toBe(0);
      expect(await expiringRegion.getByRole('link', { name: names.plain }).count()).toBe(0);
      await page.locator('[data-stat="security_score"]').waitFor();
      await page.locator('[data-stat="audit_chain"]').waitFor();
      expect(await page.locator('[data-stat="audit_chain"]').textContent()).toMatch(/^Intact/);
      mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(readFileSync(SCREENSHOT).subarray(1, 4).toString()).toBe('PNG');
      if (!process.env.STRONGROOM_UPDATE_SCREENSHOT) rmSync(SCREENSHOT);

      // Reports: the stored security report, its signature checked, its PDF downloaded.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
      await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
      const row = page.getByRole('row').filter({ hasText: 'security' }).first();
      // Listing reports downloads none (each check is a download the API audits): checked on request.
      await row.locator('[data-verdict="unchecked"]').waitFor();
      const downloads = async () =>
        ((await app.call('GET', '/api/v1/audit/events?action=report.downloaded&actor=carol-auditor', { token: adminToken })).body.items as unknown[]).length;
      expect(await downloads()).toBe(0);
      await row.getByRole('button', { name: /^Check the signature of security/ }).click();
      await row.locator('[data-verdict="valid"]').waitFor();
      expect(await downloads()).toBe(1);
      const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: /as PDF$/ }).click()]);
      const dir = mkdtempSync(join(tmpdir(), 'console-dl-'));
      try {
        const file = join(dir, download.suggestedFilename());
        await download.saveAs(file);
        expect(download.suggestedFilename()).toMatch(/\.pdf$/);
        const pdf = readFileSync(file);
        expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
        expect(pdf.length).toBeGreaterThan(1000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }

      // The list's filters, applied on submit (as the list API filters): type and name prefix, then expired only.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Secrets' }).click();
      const filters = page.getByRole('form', { name: 'Filter secrets' });
      const listed = async () => {
        await page.locator('table tbody tr, p:text("No secret matches.")').first().waitFor();
        return page.locator('table tbody th').allTextContents();
      };
      await filters.getByLabel('Name starts with').fill(`console_`);
      await filters.getByLabel('Type').selectOption('WEBHOOK_SECRET');
      await filters.getByRole('button', { name: 'Apply filters' }).click();
      await eventually(async () => JSON.stringify(await listed()) === JSON.stringify([names.expiring]));
      await filters.getByLabel('Type').selectOption('');
      await filters.getByLabel('Expired only').check();
      await filters.getByRole('button', { name: 'Apply filters' }).click();
      await eventually(async () => JSON.stringify(await listed()) === JSON.stringify([names.expired]));
      await filters.getByLabel('Expired only').uncheck();
      await filters.getByLabel('Name starts with').fill('');
      await filters.getByRole('button', { name: 'Apply filters' }).click();

      // A secret's page: details, but no reveal, rotate or delete control for an auditor.
      await page.getByRole('link', { name: names.plain }).click();
      await page.getByRole('heading', { level: 1, name: names.plain }).waitFor();
      await page.getByRole('heading', { name: 'Versions' }).waitFor();
      await page.getByRole('heading', { name: 'Rotation history' }).waitFor();
      expect(await page.getByRole('button', { name: /reveal/i }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /rotat/i }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /delete|restore/i }).count()).toBe(0);

      // Jobs and policies: readable, with no change control.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs and tasks' }).click();
      await page.getByRole('heading', { name: 'Scheduled jobs' }).waitFor();
      await page.getByRole('rowheader', { name: 'generate_security_report' }).waitFor();
      expect(await page.getByRole('button', { name: /run now/i }).count()).toBe(0);
      await page.getByRole('heading', { name: 'Background tasks' }).waitFor();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Policies' }).click();
      await page.getByRole('heading', { level: 1, name: 'Policies' }).waitFor();

      // Tokens never left memory: nothing in either storage (the PKCE state was removed by the callback).
      const storage = await storageOf(page);
      expect(storage.local).toBe('{}');
      expect(storage.session).toBe('{}');
      expect(storage.url).not.toMatch(/code=|token|state=/);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('"Sign out" signs out at the identity provider too (RP-Initiated Logout): "Sign in" then asks for the account again', async () => {
    const context = await browser.newContext();
    try {
      const { page, problems } = await newPage(context);
      await signIn(page, 'carol-auditor');
      await page.getByRole('button', { name: 'Sign out' }).click();

      // The IdP's end-session endpoint, with the console's ID token, its landing page and a state.
      await page.waitForURL((u) => u.toString().startsWith(idp.issuer));
      const end = new URL(page.url());
      const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as { end_session_endpoint: string };
      expect(`${end.origin}${end.pathname}`).toBe(meta.end_session_endpoint);
      expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${app.url}/console/signed-out`);
      expect(end.searchParams.get('state')).toMatch(/^[0-9a-f]{32}$/);
      const hint = end.searchParams.get('id_token_hint') ?? '';
      const hintClaims = JSON.parse(Buffer.from(hint.split('.')[1] ?? '', 'base64url').toString()) as { sub: string; aud: string };
      expect(hintClaims).toMatchObject({ sub: 'carol-auditor', aud: idp.consoleClientId });

      // The IdP asks; confirming brings the browser back to the console, signed out.
      await page.getByRole('heading', { name: 'Sign out' }).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('status').filter({ hasText: 'You are signed out' }).waitFor();
      expect(page.url()).toBe(`${app.url}/console/`);
      expect(await page.getByText('Signed in as').count()).toBe(0);
      // The sign-out state was checked and removed; no token anywhere.
      const storage = await storageOf(page);
      expect(storage.local).toBe('{}');
      expect(storage.session).toBe('{}');

      // The IdP's session is over: "Sign in" shows its login page instead of signing straight back in.
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((u) => u.toString().startsWith(`${idp.issuer}/interaction/`));
      await page.getByLabel('Account').waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('choosing "Stay signed in" at the identity provider keeps its session, and the console says so', async () => {
    const context = await browser.newContext();
    try {
      const { page, problems } = await newPage(context);
      await signIn(page, 'carol-auditor');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Stay signed in' }).click();
      const notice = page.getByRole('status').filter({ hasText: 'You are signed out' });
      await notice.waitFor();
      expect(await notice.textContent()).toContain('If you chose to stay signed in at your identity provider, its session is still active');
      // The IdP's session lives on: "Sign in" comes straight back, no Account field on the way.
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Signed in as carol-auditor').waitFor();
      expect(page.url()).toBe(`${app.url}/console/`);
      // A visit to the landing page that no sign-out of this tab started claims nothing.
      await page.goto(`${app.url}/console/signed-out`);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      expect(await page.getByRole('status').count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('an admin rotates a secret (dry run, then the task to its end) and reveals a value, which the audit list shows', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    try {
      const { page, problems } = await newPage(context);
      await signIn(page, 'alice-admin');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Secrets' }).click();
      await page.getByLabel('Name starts with').fill(names.rotate);
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByRole('link', { name: names.rotate }).click();
      await page.getByRole('heading', { level: 1, name: names.rotate }).waitFor();
      expect(await page.locator('[data-field="version"]').textContent()).toBe('1');

      await page.getByRole('button', { name: 'Check rotation (dry run)' }).click();
      await page.getByText('every check passed').waitFor();
      await page.getByRole('button', { name: 'Rotate now' }).click();
      await page.locator('[data-task-status="completed"]').waitFor({ timeout: 30_000 });
      await page.locator('[data-field="version"]', { hasText: '2' }).waitFor();
      const history = await app.call('GET', `/api/v1/secrets/${ids.rotate}/rotations`, { token: adminToken });
      expect(history.body[0]).toMatchObject({ status: 'completed', from_version: 1, to_version: 2 });

      // Reveal: an explicit click; the value is on screen only, never in storage or the URL.
      await page.getByRole('button', { name: 'Reveal value' }).click();
      const value = (await page.locator('#revealed').textContent()) ?? '';
      expect(value.length).toBeGreaterThanOrEqual(16);
      const storage = await storageOf(page);
      expect(storage.local).not.toContain(value);
      expect(storage.session).not.toContain(value);
      expect(storage.url).not.toContain(value);
      expect(storage.local).toBe('{}');
      expect(storage.session).toBe('{}');

      // Leaving the page clears it; the audit list shows the read, by this admin, of this secret.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
      await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor();
      expect(await page.getByText(value).count()).toBe(0);
      await page.getByLabel('Actor').fill('alice-admin');
      await page.getByLabel('Action').fill('secret.value_read');
      await page.getByLabel('Secret id').fill(ids.rotate);
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await eventually(async () => {
        const rows = page.locator('table.audit tbody tr').filter({ hasText: names.rotate }).filter({ hasText: 'secret.value_read' });
        if ((await rows.count()) > 0) return true;
        await page.getByRole('button', { name: 'Refresh' }).click();
        await page.locator('table.audit, p:text("No event matches.")').first().waitFor();
        return false;
      });
      await page.getByRole('button', { name: 'Verify the chain' }).click();
      await page.getByRole('status').filter({ hasText: /^Intact/ }).waitFor();

      // Back on the secret: the value is gone until revealed again.
      await page.goBack();
      await page.getByRole('heading', { level: 1, name: names.rotate }).waitFor();
      await page.getByRole('button', { name: 'Reveal value' }).waitFor();
      expect(await page.getByText(value).count()).toBe(0);

      // Soft delete (confirmed), then restore.
      await page.getByRole('button', { name: 'Delete secret' }).click();
      await page.getByRole('button', { name: 'Yes, delete' }).click();
      await page.getByRole('heading', { level: 1, name: 'Secret deleted' }).waitFor();
      expect((await app.call('GET', `/api/v1/secrets/${ids.rotate}`, { token: adminToken })).status).toBe(404);
      await page.getByRole('button', { name: 'Restore' }).click();
      await page.getByRole('heading', { level: 1, name: names.rotate }).waitFor();
      expect((await app.call('GET', `/api/v1/secrets/${ids.rotate}`, { token: adminToken })).status).toBe(200);

      // A report generated in the background: the task's progress to its end, then listed and signed.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
      await page.getByLabel('Kind').selectOption('compliance');
      await page.getByLabel('Standard').selectOption('soc2');
      await page.getByLabel('In the background').check();
      await page.getByRole('button', { name: 'Generate' }).click();
      await page.locator('[data-task-status="completed"]').waitFor({ timeout: 60_000 });
      const compliance = page.getByRole('row').filter({ hasText: 'compliance (soc2)' });
      await compliance.getByRole('button', { name: /^Check the signature of compliance/ }).click();
      await compliance.locator('[data-verdict="valid"]').waitFor();

      // Jobs and tasks: the report's task is listed as the API lists it; its link opens its progress.
      const tasks = await app.call('GET', '/api/v1/tasks?kind=generate_report&limit=1', { token: adminToken });
      expect(tasks.status, tasks.text).toBe(200);
      const reportTask = tasks.body.items[0] as { task_id: string; status: string; progress: { done: number; total: number } };
      expect(reportTask.status).toBe('completed');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs and tasks' }).click();
      await page.getByLabel('Task kind').selectOption('generate_report');
      await page.getByRole('region', { name: 'Background tasks' }).getByRole('button', { name: 'Apply filters' }).click();
      const taskRow = page.locator(`tr[data-task="${reportTask.task_id}"]`);
      await taskRow.waitFor();
      expect(await taskRow.textContent()).toContain('completed');
      expect(await taskRow.textContent()).toContain(`${reportTask.progress.done} of ${reportTask.progress.total}`);
      await taskRow.getByRole('link', { name: `Progress of generate_report task ${reportTask.task_id}` }).click();
      await page.getByRole('heading', { level: 1, name: `Task ${reportTask.task_id}` }).waitFor();
      expect(page.url()).toBe(`${app.url}/console/jobs/tasks/${reportTask.task_id}`);
      await page.locator('[data-task-status="completed"]').waitFor();
      expect(await page.locator('[data-field="kind"]').textContent()).toBe('generate_report');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
  it('an admin opens an incident for a reader that read a secret (confirmed), sees the response finish and lifts the lockout; an auditor sees it without controls', async () => {
    // bob-reader reads the leaked secret's value: the incident rotates it.
    const bobToken = await deviceToken('bob-reader');
    const read = await app.call('GET', `/api/v1/secrets/${ids.leaked}/value`, { token: bobToken });
    expect(read.status, read.text).toBe(200);

    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    let incidentId = '';
    try {
      const { page, problems } = await newPage(context);
      await signIn(page, 'alice-admin');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Incidents' }).click();
      await page.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
      const form = page.getByRole('form', { name: 'Open an incident' });
      await form.getByLabel('Subject').fill('bob-reader');
      await form.getByLabel('Reason').fill('bob-reader token found in a CI log');
      // The form's default window starts a day ago, which covers the read.
      await form.getByRole('button', { name: 'Review incident' }).click();
      // A confirmation first: nothing is opened yet.
      await page.getByRole('alert').filter({ hasText: 'Open an incident for bob-reader?' }).waitFor();
      // Keyboard: the focus is on the question; Tab reaches the answers.
      expect(await page.evaluate('document.activeElement.textContent')).toMatch(/^Open an incident for bob-reader\?/);
      expect((await app.call('GET', '/api/v1/incidents?subject=bob-reader', { token: adminToken })).body.items).toEqual([]);
      await page.getByRole('button', { name: 'Yes, open the incident' }).click();
      await page.locator('[data-task-status="completed"]').waitFor({ timeout: 30_000 });

      const listed = await app.call('GET', '/api/v1/incidents?subject=bob-reader', { token: adminToken });
      expect(listed.body.items).toHaveLength(1);
      incidentId = listed.body.items[0].id;
      // The lockout is in force: bob's token is refused.
      await eventually(async () => (await app.call('GET', `/api/v1/secrets/${ids.leaked}/value`, { token: bobToken })).status === 403, 10_000);

      // The list shows it, finished, one secret rotated, the subject locked out.
      const row = page.locator(`tr[data-incident="${incidentId}"]`);
      await eventually(async () => {
        if (((await row.textContent()) ?? '').includes('completed')) return true;
        await page.getByRole('button', { name: 'Refresh' }).click();
        await page.locator(`tr[data-incident="${incidentId}"]`).waitFor();
        return false;
      }, 10_000);
      expect(await row.locator('[data-field="lockout"]').textContent()).toBe('locked out');
      expect(await row.textContent()).toContain('1 of 1');

      // The detail: per secret, names and outcomes only.
      await row.getByRole('link', { name: `Incident ${incidentId} for bob-reader` }).click();
      await page.getByRole('heading', { level: 1, name: 'Incident for bob-reader' }).waitFor();
      const secretRow = page.locator(`tr[data-secret="${ids.leaked}"]`);
      await secretRow.getByRole('link', { name: names.leaked }).waitFor();
      expect(await secretRow.locator('[data-outcome]').getAttribute('data-outcome')).toBe('rotated');
      expect(await secretRow.textContent()).toContain('1 → 2');
      expect(await page.locator('[data-field="status"]').textContent()).toBe('completed');
      expect(await page.locator('[data-field="lockout"]').textContent()).toBe('bob-reader is locked out');

      // Lift the lockout: bob's token works again.
      await page.getByLabel('Lift reason (optional)').fill('bob-reader has new credentials');
      await page.getByRole('button', { name: 'Lift lockout' }).click();
      await page.locator('[data-field="lockout"]', { hasText: /^lifted .* by alice-admin \(bob-reader has new credentials\)$/ }).waitFor();
      expect(await page.getByRole('button', { name: 'Lift lockout' }).count()).toBe(0);
      const after = await app.call('GET', `/api/v1/incidents/${incidentId}`, { token: adminToken });
      expect(after.body.lockout).toMatchObject({ active: false, lifted_by: 'alice-admin', lift_reason: 'bob-reader has new credentials' });
      await eventually(async () => (await app.call('GET', `/api/v1/secrets/${ids.leaked}/value`, { token: bobToken })).status === 200, 10_000);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }

    // An auditor sees the incident and its outcome, and no control to open or lift one.
    const auditor = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    try {
      const { page, problems } = await newPage(auditor);
      await signIn(page, 'carol-auditor');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Incidents' }).click();
      await page.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
      const row = page.locator(`tr[data-incident="${incidentId}"]`);
      await row.waitFor();
      expect(await row.locator('[data-field="lockout"]').textContent()).toMatch(/^lifted /);
      expect(await page.getByRole('heading', { name: 'Open an incident' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /review incident|open the incident/i }).count()).toBe(0);
      await row.getByRole('link', { name: `Incident ${incidentId} for bob-reader` }).click();
      await page.getByRole('heading', { level: 1, name: 'Incident for bob-reader' }).waitFor();
      expect(await page.locator(`tr[data-secret="${ids.leaked}"] [data-outcome]`).getAttribute('data-outcome')).toBe('rotated');
      expect(await page.getByRole('button', { name: /lift/i }).count()).toBe(0);
      expect(await page.getByLabel('Lift reason (optional)').count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await auditor.close();
    }
  });
});

describe.skipIf(!haveChromium)('web console development sign-in', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('without an end_session_endpoint, "Sign out" is local and says plainly that the IdP session may still be active', async () => {
    const idpPort = await freePort();
    const issuer = `http://127.0.0.1:${idpPort}`;
    const app = await startTestApp({ env: { ...idpEnvFor(idpPort), OIDC_ISSUER: issuer, OIDC_CLIENT_ID: 'strongroom-console' } });
    const idp = await startOidcIdp({ port: idpPort, consoleRedirectUris: [`${app.url}/console/callback`], rpInitiatedLogout: false });
    const context = await browser.newContext();
    try {
      const meta = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(meta.authorization_endpoint).toBeDefined();
      expect(meta.end_session_endpoint).toBeUndefined();
      const { page, problems } = await newPage(context);
      await page.goto(`${app.url}/console/`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Account').fill('carol-auditor');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Signed in as carol-auditor').waitFor();

      await page.getByRole('button', { name: 'Sign out' }).click();
      const alert = page.getByRole('alert').filter({ hasText: 'advertises no end_session_endpoint' });
      await alert.waitFor();
      expect(await alert.textContent()).toContain("your identity provider's session may still be active");
      expect(new URL(page.url()).origin).toBe(app.url);
      expect(await storageOf(page)).toMatchObject({ local: '{}', session: '{}' });
      // What the message warns of: the IdP's session signs the next click straight back in.
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Signed in as carol-auditor').waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      await idp.close();
      await app.stop();
    }
  });

  it('outside production (no issuer, HS256): a pasted `npm run token` token signs in, marked as development', async () => {
    const app = await startTestApp();
    const context = await browser.newContext();
    try {
      expect(await (await fetch(`${app.url}/console/config.json`)).json()).toEqual({ oidc: null, dev_sign_in: true, roles_claim: 'roles' });
      const index = await fetch(`${app.url}/console/`);
      await index.text();
      expect(index.headers.get('content-security-policy')).toBe(expectedCsp());
      const { page, problems } = await newPage(context);
      await page.goto(`${app.url}/console/`);
      await page.getByRole('heading', { name: 'Development sign-in' }).waitFor();
      await page.getByLabel('Token').fill(hsToken({ sub: 'dev-auditor', roles: ['auditor'] }));
      await page.getByRole('button', { name: 'Use this token' }).click();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      await page.getByText('Signed in as dev-auditor').waitFor();
      await page.getByText('development sign-in').waitFor();
      expect(await storageOf(page)).toMatchObject({ local: '{}', session: '{}' });

      // Keyboard: each page opens with the focus on its heading; links work with Enter.
      expect(await page.evaluate('document.activeElement.tagName + " " + document.activeElement.textContent')).toBe('H1 Overview');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Secrets' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Secrets' }).waitFor();
      expect(await page.evaluate('document.activeElement.tagName + " " + document.activeElement.textContent')).toBe('H1 Secrets');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Development sign-in' }).waitFor();

      // A reader is told the console is not for it (and sees no page of data).
      await page.getByLabel('Token').fill(hsToken({ sub: 'svc-reader', roles: ['reader'] }));
      await page.getByRole('button', { name: 'Use this token' }).click();
      await page.getByRole('heading', { level: 1, name: 'No console access' }).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();

      // A token the API refuses (signed with another secret) ends the session with a message.
      await page.getByLabel('Token').fill(hsToken({ sub: 'dev-auditor', roles: ['auditor'], secret: 'another-secret-of-at-least-32-bytes-long!' }));
      await page.getByRole('button', { name: 'Use this token' }).click();
      await page.getByRole('alert').filter({ hasText: 'did not accept your token' }).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      await app.stop();
    }
  });

  // Production refuses the embedded database (it needs DATABASE_URL), so this one runs on PostgreSQL only.
  it.skipIf(EMBEDDED_DB)('with NODE_ENV=production the development sign-in is not offered', async () => {
    const signingKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const app = await startTestApp({
      env: { NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, LOCAL_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, AUDIT_SIGNING_KEY: signingKey },
    });
    const context = await browser.newContext();
    try {
      expect(await (await fetch(`${app.url}/console/config.json`)).json()).toEqual({ oidc: null, dev_sign_in: false, roles_claim: 'roles' });
      const { page, problems } = await newPage(context);
      await page.goto(`${app.url}/console/`);
      await page.getByRole('heading', { level: 1, name: 'Strongroom console' }).waitFor();
      await page.getByText('No identity provider is configured').waitFor();
      expect(await page.getByRole('heading', { name: 'Development sign-in' }).count()).toBe(0);
      expect(await page.getByLabel('Token').count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      await app.stop();
    }
  });
});
