import type { IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger, PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module.js';
import { applyPipeline } from './app.pipeline.js';
import type { Clock } from './clock/clock.js';
import { accessLogHook, requestIdOf } from './common/logging.js';
import { type AppConfig, describeConfig, loadRuntimeKeys } from './config/index.js';
import { checkDatabase } from './database/database-preflight.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './database/embedded-postgres.js';
import { runMigrations } from './database/migrate.js';
import { acceptJsonBodiesOnly, frameworkErrors } from './http/json-body.js';
import { createOpenApiDocument } from './http/openapi.js';
import { securityHeaders } from './http/security-headers.js';
import { Metrics } from './metrics/metrics.service.js';
import { KeyCheck } from './secrets/key-check.js';
import { httpsEnabled, httpsServerOptions, watchCertificates } from './tls/https-options.js';

export interface RunningApp {
  app: NestFastifyApplication;
  /** Base URL the server listens on, e.g. http://127.0.0.1:8000 (https:// with TLS_CERT_FILE) */
  url: string;
  /** The database URL in use (the embedded server's loopback URL when DATABASE_URL is unset). */
  databaseUrl: string;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
}

/** Builds, migrates and starts the service; used by main.ts and by every e2e test. */
export async function startApp(config: AppConfig, options: StartOptions = {}): Promise<RunningApp> {
  const keys = loadRuntimeKeys(config);
  let embedded: EmbeddedPostgres | undefined;
  if (!config.database.url) embedded = await startEmbeddedPostgres(config.dataDir, config.database.poolSize + 4);
  const databaseUrl = config.database.url ?? embedded!.url;
  // A quick, bounded check first: an unreachable database stops the boot in seconds, by name.
  if (config.database.url) await checkDatabase(config.database.url, { caFile: config.tls.databaseCaFile });

  let app: NestFastifyApplication | undefined;
  let stopWatching: (() => void) | undefined;
  try {
    const headers = securityHeaders({
      // Browsers honour HSTS only over HTTPS (ours, or the terminating proxy's): one year, subdomains.
      hsts: { maxAge: 31_536_000, includeSubDomains: true },
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          scriptSrc: ["'self'", "'unsafe-inline'"],
        },
      },
    });
    const tls = config.tls;
    const adapter = new FastifyAdapter({
      ...(httpsEnabled(tls) ? { https: httpsServerOptions(tls) } : {}),
      bodyLimit: config.bodyLimitBytes,
      genReqId: (req: IncomingMessage) => requestIdOf(req),
      trustProxy: config.trustProxy,
      frameworkErrors: frameworkErrors(headers),
      // The spec's examples use /api/v1/secrets/ for the collection; both spellings must work.
      routerOptions: { ignoreTrailingSlash: true },
    });
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({ config, keys, databaseUrl, clock: options.clock }),
      adapter,
      // Body parsing is ours (http/json-body.ts): JSON only, nesting bounded. Boot logs wait for
      // the JSON logger, and a failed boot prints none of them (nor Nest's stack traces): main.ts
      // ends it with one line naming the cause.
      { bufferLogs: true, autoFlushLogs: false, abortOnError: false, bodyParser: false },
    );
    const logger = app.get(Logger);
    app.useLogger(logger);
    app.flushLogs();
    logger.log({ msg: 'Strongroom starting', config: describeConfig(config) });
    for (const warning of keys.warnings) logger.warn(`!!! ${warning}`);
    if (config.isProduction && !httpsEnabled(tls)) {
      logger.warn('TLS_CERT_FILE is not set: serving plain HTTP, a TLS-terminating proxy in front is assumed');
    }

    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRequest', (_req, reply, done) => {
        reply.headers(headers);
        done();
      });
    const httpDuration = app.get(Metrics).httpDuration;
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onResponse', async (req, reply) => {
        // Route templates only (never the raw URL, which carries secret ids): bounded label values.
        httpDuration.observe(
          { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
          reply.elapsedTime / 1000,
        );
      })
      .addHook('onResponse', accessLogHook(() => PinoLogger.root))
      .addHook('onSend', async (req, reply) => {
        reply.header('x-request-id', req.id);
        if (req.url.startsWith('/api/v1')) reply.header('Cache-Control', 'no-store');
      });
    acceptJsonBodiesOnly(app.getHttpAdapter().getInstance(), config.bodyLimitBytes);
    applyPipeline(app, config);
    SwaggerModule.setup('api/docs', app, () => createOpenApiDocument(app!), {
      jsonDocumentUrl: 'api/docs-json',
    });
    // No enableShutdownHooks(): main.ts handles SIGTERM (close in order, then exit 0).

    const migrated = await runMigrations(app.get(DataSource));
    if (migrated.length > 0) logger.log(`applied migrations: ${migrated.join(', ')}`);
    // Refuse to start (KeyCheckFailedError, a ConfigError) when the key ring cannot open what is stored.
    await app.get(KeyCheck).verify(app.get(DataSource).manager);

    await app.listen({ port: config.port, host: config.host });
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `${httpsEnabled(tls) ? 'https' : 'http'}://127.0.0.1:${port}`;
    if (httpsEnabled(tls)) stopWatching = watchCertificates(app.getHttpServer() as unknown as HttpsServer, tls, new NestLogger('TLS'));
    logger.log(`Strongroom listening on ${config.host}:${port}${httpsEnabled(tls) ? ' (HTTPS)' : ''}`);
    const running = app;
    return {
      app: running,
      url,
      databaseUrl,
      async close() {
        stopWatching?.();
        await running.close();
        await embedded?.stop();
      },
    };
  } catch (e) {
    stopWatching?.();
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw e;
  }
}
