/**
 * The web console under attack: what a careful reviewer found missing, each checked through the
 * public interface (HTTP, and headless Chromium driven by playwright-core) on the real PostgreSQL.
 * The console's main journeys are in console.e2e.spec.ts.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { hsToken } from '../support/tokens.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

/** A GET with the path sent exactly as written (fetch would normalise or reject it). */
function rawGet(base: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

// One app per file: the embedded database serves one app at a time, and this file needs only one.
describe('web console: hardening', () => {
  let app: TestApp;
  let browser: Browser | undefined;

  beforeAll(async () => {
    app = await startTestApp();
    if (haveChromium) browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('a URL the router refuses (bad percent-encoding, a segment too long) still gets the security headers, under /console and under the API', async () => {
    const cases: [string, number][] = [
      ['/console/%ZZ', 400],
      ['/console/secrets/%E0%A4%A', 400],
      ['/api/v1/secrets/%ZZ', 400],
      [`/api/v1/secrets/${'a'.repeat(600)}`, 414], // over the router's path-segment limit
    ];
    for (const [path, status] of cases) {
      const res = await rawGet(app.url, path);
      expect(res.status, path).toBe(status);
      expect(res.headers['x-content-type-options'], path).toBe('nosniff');
      expect(res.headers['content-security-policy'], path).toMatch(/frame-ancestors/);
      expect(res.headers['x-frame-options'], path).toBeDefined();
      expect(res.headers['cache-control'], path).toBe('no-store');
    }
  });

  it('an unknown hashed asset is a 404 no cache keeps (a CDN caching it would break the console after a deploy)', async () => {
    const res = await fetch(`${app.url}/console/assets/index-00000000.js`);
    await res.arrayBuffer();
    expect(res.status).toBe(404);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it.skipIf(!haveChromium)('a value revealed before a rotation is not left on screen as the "current value" after it', async () => {
    const created = await app.call('POST', '/api/v1/secrets', { body: { name: `console_stale_${Date.now()}`, secret_type: 'API_KEY' } });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${app.url}/console/secrets/${id}`);
      await page.getByLabel('Token').fill(hsToken({ sub: 'rotating-admin', roles: ['admin'] }));
      await page.getByRole('button', { name: 'Use this token' }).click();
      await page.getByRole('button', { name: 'Reveal value' }).click();
      const before = (await page.locator('#revealed').textContent()) ?? '';
      expect(before.length).toBeGreaterThanOrEqual(16);

      await page.getByRole('button', { name: 'Check rotation (dry run)' }).click();
      await page.getByRole('button', { name: 'Rotate now' }).click();
      await page.locator('[data-task-status="completed"]').waitFor({ timeout: 30_000 });
      await page.locator('[data-field="version"]', { hasText: '2' }).waitFor();
      await page.getByRole('button', { name: 'Reveal value' }).waitFor();
      expect(await page.content()).not.toContain(before);
    } finally {
      await context.close();
    }
  });

  it.skipIf(!haveChromium)('the session ends when its token expires: the pages and a revealed value leave the screen', async () => {
    const created = await app.call('POST', '/api/v1/secrets', { body: { name: `console_expiry_${Date.now()}`, secret_type: 'API_KEY' } });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      // The page's clock is the test's: the token's expiry is reached by moving it, not by waiting.
      await page.clock.install();
      await page.goto(`${app.url}/console/secrets/${id}`);
      await page.getByLabel('Token').fill(hsToken({ sub: 'expiring-admin', roles: ['admin'], expiresIn: 300 }));
      await page.getByRole('button', { name: 'Use this token' }).click();
      await page.getByRole('button', { name: 'Reveal value' }).click();
      const value = (await page.locator('#revealed').textContent()) ?? '';
      expect(value.length).toBeGreaterThanOrEqual(16);

      await page.clock.fastForward('06:00');
      await page.getByRole('alert').filter({ hasText: 'expired' }).waitFor();
      await page.getByRole('heading', { name: 'Development sign-in' }).waitFor();
      expect(await page.getByText('Signed in as expiring-admin').count()).toBe(0);
      expect(await page.content()).not.toContain(value);
    } finally {
      await context.close();
    }
  });
});
