/**
 * The load generator, forked as a process of its own so it never shares an event loop with a
 * server under test. Closed-loop maximum-throughput runs use autocannon; fixed-rate runs use an
 * open-loop generator below, because autocannon's `overallRate` is a per-second budget that each
 * connection spends as fast as it can (a burst at full load, then idle), its "coordinated
 * omission" correction assumes a 1 ms interval, and its latency histogram has whole-millisecond
 * resolution.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { percentiles } from './stats.js';
import type { FixedResult, LoadJob, MaxResult, TargetSpec, WorkerReply } from './load-types.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function requestSource(target: TargetSpec) {
  let i = 0;
  let n = 0;
  const value = target.createBody
    ? Array.from({ length: target.createBody.valueLength }, (_, k) => ALNUM[(k * 7 + 3) % ALNUM.length]).join('')
    : '';
  return {
    path(): string {
      const p = target.paths[i]!;
      i = (i + 1) % target.paths.length;
      return p;
    },
    body(): string | undefined {
      const b = target.createBody;
      if (!b) return undefined;
      n += 1;
      return JSON.stringify({ name: `${b.namePrefix}-${n}`, secret_type: b.secretType, value });
    },
  };
}

function runMax(job: Extract<LoadJob, { kind: 'max' }>): Promise<MaxResult> {
  const src = requestSource(job.target);
  const headers = { ...job.target.headers, ...(job.target.createBody ? { 'content-type': 'application/json' } : {}) };
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: job.target.baseUrl,
        connections: job.connections,
        duration: job.seconds,
        timeout: 10,
        headers,
        requests: [
          {
            method: job.target.method,
            setupRequest: (req) => {
              const body = src.body();
              return { ...req, path: src.path(), ...(body === undefined ? {} : { body }) };
            },
          },
        ],
      },
      (err, r) => {
        if (err) return reject(err);
        const statusCodes: Record<string, number> = {};
        for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = s.count;
        resolve({
          kind: 'max',
          seconds: r.duration,
          rps: r.duration > 0 ? r['2xx'] / r.duration : 0,
          ok: r['2xx'],
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          statusCodes,
          autocannonLatencyMs: { p50: r.latency.p50, p99: r.latency.p99 },
        });
      },
    );
  });
}

/** One keep-alive HTTP/1.1 connection for the open-loop generator: one request in flight at a time. */
class RawConnection {
  private socket!: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private header: { status: number; bodyLength: number | null; chunked: boolean; headerEnd: number } | null = null;
  private inflight: ((status: number | null) => void) | null = null;
  busy = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onIdle: () => void,
  ) {
    this.connect();
  }

  private connect(): void {
    this.socket = net.connect({ host: this.host, port: this.port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      const cb = this.inflight;
      this.reset();
      if (cb) cb(null);
      if (!this.closed) this.connect();
      this.onIdle();
    });
  }

  private closed = false;

  private reset(): void {
    this.buf = Buffer.alloc(0);
    this.header = null;
    this.inflight = null;
    this.busy = false;
  }

  send(request: Buffer, done: (status: number | null) => void): void {
    this.busy = true;
    this.inflight = done;
    this.socket.write(request);
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      if (!this.header) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = this.buf.subarray(0, end).toString('latin1');
        const status = Number(head.slice(9, 12));
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
        this.header = { status, bodyLength: cl ? Number(cl[1]) : chunked ? null : 0, chunked, headerEnd: end + 4 };
      }
      const h = this.header;
      let total: number;
      if (!h.chunked) {
        total = h.headerEnd + (h.bodyLength ?? 0);
        if (this.buf.length < total) return;
      } else {
        // Walk the chunks: "<hex size>\r\n<data>\r\n" … "0\r\n\r\n" (no trailers expected).
        let at = h.headerEnd;
        for (;;) {
          const eol = this.buf.indexOf('\r\n', at);
          if (eol === -1) return;
          const size = parseInt(this.buf.subarray(at, eol).toString('latin1'), 16);
          if (size === 0) {
            if (this.buf.length < eol + 4) return;
            total = eol + 4;
            break;
          }
          at = eol + 2 + size + 2;
          if (this.buf.length < at) return;
        }
      }
      this.buf = this.buf.subarray(total);
      const cb = this.inflight;
      this.header = null;
      this.inflight = null;
      this.busy = false;
      cb?.(h.status);
      this.onIdle();
      if (this.buf.length === 0) return;
    }
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

function buildRequest(target: TargetSpec, url: URL, path: string, body: string | undefined): Buffer {
  let head = `${target.method} ${path} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n`;
  for (const [k, v] of Object.entries(target.headers)) head += `${k}: ${v}\r\n`;
  if (body !== undefined) {
    head += `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
    return Buffer.from(`${head}\r\n${body}`);
  }
  return Buffer.from(`${head}\r\n`);
}

/**
 * Open loop (constant arrival rate): request k is due at t0 + k/rate whatever happened to the
 * earlier ones; it goes out on an idle connection or waits in a FIFO for one. Its latency counts
 * from when it was due, so a slow server cannot slow the arrivals down (no coordinated omission).
 * Raw sockets with prebuilt requests keep the generator's own cost per request small.
 */
function runFixed(job: Extract<LoadJob, { kind: 'fixed' }>): Promise<FixedResult> {
  const src = requestSource(job.target);
  const url = new URL(job.target.baseUrl);
  const interval = 1000 / job.rate;
  const total = Math.max(1, Math.round(job.rate * (job.warmupSeconds + job.seconds)));
  const measureFrom = job.warmupSeconds * 1000;
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let okAll = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let done = 0;
  let maxLag = 0;
  let lastMeasuredEnd = 0;
  const queue: { intended: number; request: Buffer }[] = [];
  const t0 = performance.now();

  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      for (const c of conns) c.close();
      resolve({
        kind: 'fixed',
        targetRate: job.rate,
        achievedRate: ok / Math.max(0.001, (lastMeasuredEnd - t0 - measureFrom) / 1000),
        seconds: job.seconds,
        measured: latencies.length,
        ok,
        okAll,
        non2xx,
        errors,
        statusCodes,
        latencyMs: percentiles(latencies),
        maxScheduleLagMs: maxLag,
      });
    };
    const settle = (intended: number, status: number | null) => {
      const end = performance.now();
      done += 1;
      if (status !== null && status >= 200 && status < 300) okAll += 1;
      if (intended - t0 >= measureFrom) {
        if (status === null) errors += 1;
        else {
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          if (status >= 200 && status < 300) {
            ok += 1;
            latencies.push(end - intended);
          } else non2xx += 1;
        }
        lastMeasuredEnd = Math.max(lastMeasuredEnd, end);
      }
      if (done === total) finish();
    };
    const dispatch = () => {
      for (const c of conns) {
        if (queue.length === 0) return;
        if (c.busy) continue;
        const next = queue.shift()!;
        c.send(next.request, (status) => settle(next.intended, status));
      }
    };
    const conns: RawConnection[] = Array.from({ length: job.connections }, () => new RawConnection(url.hostname, Number(url.port), dispatch));
    // Give up on answers that never come (counted as errors).
    const guard = setTimeout(() => {
      errors += total - done;
      finish();
    }, (job.warmupSeconds + job.seconds) * 1000 + 30_000);
    guard.unref();
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - t0) / interval) + 1);
      while (sent < due) {
        const intended = t0 + sent * interval;
        maxLag = Math.max(maxLag, now - intended);
        queue.push({ intended, request: buildRequest(job.target, url, src.path(), src.body()) });
        sent += 1;
      }
      dispatch();
      if (sent < total) setTimeout(tick, Math.max(0, t0 + sent * interval - performance.now()));
    };
    tick();
  });
}

process.on('message', (job: LoadJob) => {
  const run = job.kind === 'max' ? runMax(job) : runFixed(job);
  run.then(
    (result) => process.send!({ id: job.id, ok: true, result } satisfies WorkerReply),
    (e: unknown) => process.send!({ id: job.id, ok: false, error: (e as Error)?.stack ?? String(e) } satisfies WorkerReply),
  );
});
process.on('disconnect', () => process.exit(0));
