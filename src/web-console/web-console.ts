import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppConfig } from '../config/index.js';

/**
 * Serves the web console (built by `npm run build:console` from console/ into dist/console) at
 * /console, with a strict Content-Security-Policy of its own instead of the API's: no inline
 * script or style, no third-party origin but the OIDC issuer's (discovery and token calls, and
 * the sign-in redirect). Unknown paths under /console/ are the single-page app's own routes and
 * get index.html; unknown /console/assets/ files are 404. The runtime settings the app needs come
 * from GET /console/config.json (an inline script would need a looser CSP).
 */

export interface ConsoleSettings {
  oidc: { issuer: string; client_id: string } | null;
  /** The "Development sign-in" form (paste a token from `npm run token`): never in production. */
  dev_sign_in: boolean;
  roles_claim: string;
}

export function consoleSettings(config: AppConfig): ConsoleSettings {
  return {
    oidc: config.console.oidc ? { issuer: config.console.oidc.issuer, client_id: config.console.oidc.clientId } : null,
    // `npm run token` mints HS256 tokens only outside production and without JWT_JWKS_URI.
    dev_sign_in: !config.isProduction && !config.auth.jwksUri,
    roles_claim: config.auth.rolesClaim,
  };
}

export function consoleCsp(config: AppConfig): string {
  const issuer = config.console.oidc ? ` ${new URL(config.console.oidc.issuer).origin}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${issuer}`,
    `form-action 'self'${issuer}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The repository (or installed package) root: the nearest folder up with a package.json. */
function packageRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return from;
    dir = up;
  }
  return dir;
}

export const CONSOLE_BUILD_DIR = join(packageRoot(import.meta.dirname), 'dist', 'console');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
}

/** Every built file, read once: only these names are ever served (no path reaches the disk). */
function readBuild(dir: string): Map<string, Asset> {
  const files = new Map<string, Asset>();
  if (!existsSync(join(dir, 'index.html'))) return files;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (TYPES[extname(e.name)]) files.set(relative(dir, p).split(sep).join('/'), { body: readFileSync(p), type: TYPES[extname(e.name)]! });
    }
  };
  walk(dir);
  return files;
}

export function registerWebConsole(fastify: FastifyInstance, config: AppConfig, buildDir = CONSOLE_BUILD_DIR): void {
  const files = readBuild(buildDir);
  const csp = consoleCsp(config);
  const settings = JSON.stringify(consoleSettings(config));

  const send = (reply: FastifyReply, asset: Asset, cache: string) =>
    reply.header('content-security-policy', csp).header('cache-control', cache).type(asset.type).send(asset.body);

  const index = (reply: FastifyReply) => {
    const page = files.get('index.html');
    if (!page) {
      return reply
        .code(503)
        .header('content-security-policy', csp)
        .type('text/plain; charset=utf-8')
        .send('The web console is not built: run `npm run build` (it builds console/ into dist/console).\n');
    }
    return send(reply, page, 'no-cache');
  };

  // ignoreTrailingSlash (app.factory.ts): /console and /console/ are one route.
  fastify.get('/console', (_req, reply) => index(reply));
  fastify.get('/console/config.json', (_req, reply) =>
    reply.header('content-security-policy', csp).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(settings),
  );
  fastify.get<{ Params: { '*': string } }>('/console/*', (req, reply) => {
    const name = req.params['*'];
    const asset = files.get(name);
    // Hashed names: a file never changes under its name.
    if (asset && name.startsWith('assets/')) return send(reply, asset, 'public, max-age=31536000, immutable');
    if (asset) return send(reply, asset, 'no-cache');
    if (name.startsWith('assets/')) {
      // no-store: a CDN keeping this 404 (some do, for minutes) would break the console when a
      // deploy's new index.html names an asset before every replica serves it.
      return reply.code(404).header('content-security-policy', csp).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('Not found\n');
    }
    return index(reply);
  });
}
