import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * The zero-setup database: PGlite (PostgreSQL compiled to WebAssembly) persisted under
 * `<dataDir>/pg`, served on a loopback port so the ordinary `pg` driver and TypeORM use it exactly
 * as they use a real server. PGlite is ONE backend, so this server multiplexes the pool's
 * connections onto it (see src/database/README.md):
 *
 * - a connection's messages up to a Sync (or a simple Query) run as one unit, never interleaved
 *   with another connection's (PGlite has one unnamed statement and one error state);
 * - a connection that opened a transaction owns the backend until it commits or rolls back; the
 *   others wait their turn, first come first served;
 * - no wait is unbounded: a connection that waits longer than `lockWaitMs` gets SQLSTATE 55P03,
 *   so code that holds a transaction while awaiting another connection fails instead of hanging.
 *
 * `<dataDir>/pg.lock` (the holder's pid) keeps a second process (a second server, `migration:run`)
 * off a data directory that a live process holds.
 */
export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Longest wait of a connection for the backend while another connection holds a transaction. */
  lockWaitMs?: number;
}

/** The data directory is held by another live process. */
export class EmbeddedDatabaseBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database in ${dataDir} is in use by process ${pid} (a running Strongroom server?); ` +
        'stop it first — it applies migrations itself at boot',
    );
  }
}

export async function startEmbeddedPostgres(
  dataDir: string,
  maxConnections: number,
  options: EmbeddedOptions = {},
): Promise<EmbeddedPostgres> {
  const dir = resolve(join(dataDir, 'pg'));
  mkdirSync(dir, { recursive: true });
  const releaseLock = takeDataDirLock(resolve(dataDir));
  let db: PGlite | undefined;
  try {
    db = await PGlite.create(dir);
    const server = new SingleBackendServer(db, maxConnections, options.lockWaitMs ?? 15_000);
    const port = await server.listen();
    const opened = db;
    return {
      url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
      async stop() {
        try {
          await server.close();
          await opened.close();
        } finally {
          releaseLock();
        }
      },
    };
  } catch (e) {
    await db?.close().catch(() => undefined);
    releaseLock();
    throw e;
  }
}

/** Creates `<dataDir>/pg.lock` atomically; a lock whose process is gone is taken over. */
/** Data directories this process holds (its own pid in a lock file is otherwise taken as stale). */
const heldHere = new Set<string>();

function takeDataDirLock(dataDir: string): () => void {
  const file = join(dataDir, 'pg.lock');
  if (heldHere.has(dataDir)) throw new EmbeddedDatabaseBusyError(dataDir, process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      heldHere.add(dataDir);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        heldHere.delete(dataDir);
        process.off('exit', release);
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
      // A process that exits without stopping the database (SIGTERM, a crash) leaves no lock.
      process.on('exit', release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(safeRead(file), 10);
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) throw new EmbeddedDatabaseBusyError(dataDir, pid);
      try {
        unlinkSync(file); // stale: its process died without removing it
      } catch {
        /* someone else removed it */
      }
    }
  }
  throw new Error(`could not take the lock ${file}`);
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  // Our own pid in the file is a lock from an earlier life (a container's pid 1 restarted).
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

interface Waiter {
  conn: Connection;
  grant: () => void;
  fail: (e: Error) => void;
}

class LockWaitTimeout extends Error {}

/** One PGlite backend shared by many client connections, a transaction (or unit) at a time. */
class SingleBackendServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  /** The connection whose transaction (or unfinished extended-protocol sequence) is open. */
  owner: Connection | null = null;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly db: PGlite,
    private readonly maxConnections: number,
    readonly lockWaitMs: number,
  ) {
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(): Promise<number> {
    return new Promise((ok, fail) => {
      this.server.once('error', fail);
      this.server.listen(0, '127.0.0.1', () => ok((this.server.address() as { port: number }).port));
    });
  }

  private closing = false;

  async close(): Promise<void> {
    this.closing = true;
    for (const c of [...this.connections]) c.socket.destroy();
    for (const w of this.waiters.splice(0)) w.fail(new Error('the embedded database is shutting down'));
    await new Promise<void>((r) => this.server.close(() => r()));
    // Let a unit in flight finish before PGlite closes.
    await this.db.runExclusive(async () => undefined);
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    if (this.connections.size >= this.maxConnections) {
      socket.end(errorResponse('53300', 'too many connections to the embedded database'));
      return;
    }
    const conn = new Connection(this, socket);
    this.connections.add(conn);
    socket.on('close', () => {
      this.connections.delete(conn);
      this.disconnected(conn);
    });
    socket.on('error', () => socket.destroy());
  }

  /** Waits until `conn` may use the backend. */
  acquire(conn: Connection): Promise<void> {
    if (this.owner === null || this.owner === conn) {
      this.owner = conn;
      return Promise.resolve();
    }
    return new Promise<void>((grant, fail) => {
      const waiter: Waiter = { conn, grant: () => (clearTimeout(timer), grant()), fail: (e) => (clearTimeout(timer), fail(e)) };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        fail(new LockWaitTimeout());
      }, this.lockWaitMs);
      this.waiters.push(waiter);
    });
  }

  /** Keeps the backend for `conn` while its transaction is open; otherwise hands it on. */
  settle(conn: Connection, keep: boolean): void {
    if (this.owner !== conn) return;
    if (keep) return;
    this.owner = null;
    const next = this.waiters.shift();
    if (next) {
      this.owner = next.conn;
      next.grant();
    }
  }

  private disconnected(conn: Connection): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.conn === conn) this.waiters.splice(i, 1)[0]!.fail(new Error('disconnected'));
    }
    if (!conn.running) void this.abandon(conn);
  }

  /** The client went away while owning the backend: roll its transaction back, hand on. */
  async abandon(conn: Connection): Promise<void> {
    if (this.owner !== conn || this.closing) return;
    // db.exec takes PGlite's query mutex itself (the one runExclusive takes: never nest them).
    try {
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    } catch {
      /* closed meanwhile */
    }
    this.settle(conn, false);
  }
}

/** One client connection: splits its byte stream into units and runs them in order. */
class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private pending: Buffer[] = [];
  private chain: Promise<void> = Promise.resolve();
  running = false;

  constructor(
    private readonly backend: SingleBackendServer,
    readonly socket: Socket,
  ) {
    socket.on('data', (data: Buffer) => this.receive(data));
  }

  private receive(data: Buffer): void {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) return;
        const len = this.buffer.readInt32BE(0);
        if (this.buffer.length < len) return;
        const code = this.buffer.readInt32BE(4);
        const msg = this.buffer.subarray(0, len);
        this.buffer = this.buffer.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.socket.write('N');
          continue;
        }
        if (code === CANCEL_REQUEST) {
          this.socket.end(); // not supported: statements here are short and bounded by the lock wait
          return;
        }
        this.started = true;
        this.enqueue([Buffer.from(msg)], true);
        continue;
      }
      if (this.buffer.length < 5) return;
      const len = 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < len) return;
      const type = String.fromCharCode(this.buffer[0]!);
      const msg = Buffer.from(this.buffer.subarray(0, len));
      this.buffer = this.buffer.subarray(len);
      if (type === 'X') {
        this.socket.end();
        return;
      }
      this.pending.push(msg);
      // Sync and a simple Query end a unit (the server answers ReadyForQuery); Flush ends one too,
      // but the extended sequence stays open, so the connection keeps the backend.
      if (type === 'S' || type === 'Q' || type === 'H') {
        const unit = this.pending;
        this.pending = [];
        this.enqueue(unit, type !== 'H');
      }
    }
  }

  private enqueue(unit: Buffer[], endsSequence: boolean): void {
    this.chain = this.chain.then(() => this.run(Buffer.concat(unit), endsSequence, unit[0]![0] === 0 ? 'startup' : 'query'));
  }

  private async run(message: Buffer, endsSequence: boolean, kind: 'startup' | 'query'): Promise<void> {
    if (this.socket.destroyed) return;
    try {
      await this.backend.acquire(this);
    } catch (e) {
      if (this.socket.destroyed) return;
      const text =
        e instanceof LockWaitTimeout
          ? `embedded database: waited ${this.backend.lockWaitMs} ms for another connection's transaction`
          : `embedded database: ${(e as Error).message}`;
      if (kind === 'startup') this.socket.end(errorResponse('55P03', text));
      else this.socket.write(Buffer.concat([errorResponse('55P03', text), READY_IDLE]));
      return;
    }
    let keep = false;
    this.running = true;
    try {
      const db = this.backend.db;
      await db.runExclusive(async () => {
        await db.execProtocolRawStream(new Uint8Array(message), {
          onRawData: (chunk: Uint8Array) => {
            if (chunk.length > 0 && !this.socket.destroyed) this.socket.write(Buffer.from(chunk));
          },
        });
        keep = db.isInTransaction() || !endsSequence;
      });
    } catch {
      this.socket.destroy();
    } finally {
      this.running = false;
      if (this.socket.destroyed) await this.backend.abandon(this);
      else this.backend.settle(this, keep);
    }
  }
}

const READY_IDLE = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]); // ReadyForQuery, idle

function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    Buffer.from(`SERROR\0VERROR\0C${code}\0M${message}\0`, 'utf8'),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head[0] = 0x45; // 'E'
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}
