import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificates } from './scram-postgres.js';

export type RotationStepName = 'create' | 'set' | 'test' | 'finish' | 'revert' | 'check';

/**
 * A small HTTPS service on 127.0.0.1 that holds API keys, the target of the http rotator in the
 * tests: `GET /whoami` with `Authorization: Bearer <key>` answers 200 for an accepted key, and
 * `POST /rotation` takes Strongroom's signed rotation calls (create, set, test, finish, revert,
 * check), refusing unsigned or badly signed ones. Failures can be injected per step.
 */
export interface KeyHolder {
  url: string;
  /** PEM of the CA that signed its certificate (127.0.0.1, localhost). */
  ca: string;
  /** Keys that open /whoami now. */
  accepted: Set<string>;
  /** Calls received, in order, with their Idempotency-Key (values left out). */
  calls: { step: RotationStepName; idempotencyKey: string; versionId: string }[];
  /** create answers `{ value }` itself (the same value for the same version_id). */
  issue: boolean;
  /** Steps that answer this status every time; `once` answers it to the first call only. */
  failures: Map<RotationStepName, { status: number; once?: boolean }>;
  /** Called before a step's answer (e.g. to kill Strongroom mid-rotation). */
  onStep?: (step: RotationStepName) => Promise<void> | void;
  canUse(key: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function startKeyHolder(signingKey: () => string, initialKey: string): Promise<KeyHolder> {
  const dir = mkdtempSync(join(tmpdir(), 'key-holder-'));
  const files = makeCertificates(dir);
  const pending = new Map<string, string>();
  const issued = new Map<string, string>();
  const holder = {
    url: '',
    ca: readFileSync(files.ca, 'utf8'),
    accepted: new Set([initialKey]),
    calls: [],
    issue: false,
    failures: new Map(),
  } as unknown as KeyHolder;

  const verified = (body: string, header: string | undefined): boolean => {
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
    if (!m || Math.abs(Date.now() / 1000 - Number(m[1])) > 300) return false;
    const want = createHmac('sha256', signingKey()).update(`${m[1]}.${body}`).digest();
    return timingSafeEqual(want, Buffer.from(m[2]!, 'hex'));
  };

  const server: Server = createServer({ cert: readFileSync(files.cert), key: readFileSync(files.key) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const send = (status: number, body?: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(body === undefined ? '' : JSON.stringify(body));
        };
        if (req.method === 'GET' && req.url === '/whoami') {
          const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
          return send(holder.accepted.has(key) ? 200 : 401);
        }
        if (req.method !== 'POST' || req.url !== '/rotation') return send(404);
        const text = Buffer.concat(chunks).toString('utf8');
        if (!verified(text, req.headers['x-strongroom-signature'] as string | undefined)) return send(401, { error: 'bad signature' });
        const call = JSON.parse(text) as { step: RotationStepName; version_id: string; value?: string };
        holder.calls.push({ step: call.step, idempotencyKey: String(req.headers['idempotency-key']), versionId: call.version_id });
        await holder.onStep?.(call.step);
        const failure = holder.failures.get(call.step);
        if (failure) {
          if (failure.once) holder.failures.delete(call.step);
          return send(failure.status, { error: `injected failure, value ${call.value ?? ''}` });
        }
        switch (call.step) {
          case 'check':
            return send(200, { ok: true });
          case 'create': {
            if (!holder.issue) return send(200, {});
            if (!issued.has(call.version_id)) issued.set(call.version_id, `issued_${randomBytes(24).toString('base64url')}`);
            return send(200, { value: issued.get(call.version_id) });
          }
          case 'set':
            pending.set(call.version_id, call.value!);
            holder.accepted.add(call.value!);
            return send(200, {});
          case 'test':
            return send(holder.accepted.has(call.value!) ? 200 : 422, {});
          case 'finish': {
            const value = pending.get(call.version_id);
            if (!value) return send(409, { error: 'nothing set for this version' });
            holder.accepted.clear();
            holder.accepted.add(value);
            return send(200, {});
          }
          case 'revert':
            pending.delete(call.version_id);
            holder.accepted.clear();
            holder.accepted.add(call.value!);
            return send(200, {});
          default:
            return send(400, { error: 'unknown step' });
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  holder.url = `https://127.0.0.1:${(server.address() as { port: number }).port}/rotation`;
  holder.canUse = async (key: string) => {
    const res = await new Promise<number>((resolve, reject) => {
      const r = request(
        `${holder.url.replace('/rotation', '/whoami')}`,
        { ca: holder.ca, headers: { authorization: `Bearer ${key}` } },
        (resp) => {
          resp.resume();
          resolve(resp.statusCode ?? 0);
        },
      );
      r.on('error', reject);
      r.end();
    });
    return res === 200;
  };
  holder.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  };
  return holder;
}
