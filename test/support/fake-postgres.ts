import { createServer, type Server, type Socket } from 'node:net';

/**
 * A tiny fake PostgreSQL server on a loopback address, for rotator tests. It refuses TLS ('N'),
 * takes the startup message, asks for the password the way `auth` says, and records everything a
 * client did: connections, startups and any password message. `auth: 'none'` only counts
 * connections (a listener that proves nobody connected).
 */
export interface FakePostgres {
  host: string;
  port: number;
  connections: number;
  startups: { user?: string; database?: string }[];
  /** The payloads of password messages; must stay empty when a client refuses to send one. */
  passwords: string[];
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;

export async function startFakePostgres(host: string, auth: 'cleartext' | 'md5' | 'none'): Promise<FakePostgres> {
  const sockets = new Set<Socket>();
  const fake: Omit<FakePostgres, 'close'> = { host, port: 0, connections: 0, startups: [], passwords: [] };
  const server: Server = createServer((socket) => {
    fake.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (auth === 'none') return void socket.destroy();
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const len = buffer.readInt32BE(0);
          if (buffer.length < len) return;
          const code = buffer.readInt32BE(4);
          const body = buffer.subarray(8, len);
          buffer = buffer.subarray(len);
          if (code === SSL_REQUEST) {
            socket.write('N');
            continue;
          }
          started = true;
          const params = body.toString('utf8').split('\0');
          const startup: { user?: string; database?: string } = {};
          for (let i = 0; i + 1 < params.length; i += 2) {
            if (params[i] === 'user') startup.user = params[i + 1];
            if (params[i] === 'database') startup.database = params[i + 1];
          }
          fake.startups.push(startup);
          const request = Buffer.alloc(auth === 'md5' ? 13 : 9);
          request.write('R', 0);
          request.writeInt32BE(auth === 'md5' ? 12 : 8, 1);
          request.writeInt32BE(auth === 'md5' ? 5 : 3, 5);
          if (auth === 'md5') request.writeUInt32BE(0x01020304, 9);
          socket.write(request);
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0]!);
        const len = buffer.readInt32BE(1);
        if (buffer.length < 1 + len) return;
        const body = buffer.subarray(5, 1 + len);
        buffer = buffer.subarray(1 + len);
        if (type === 'p') {
          fake.passwords.push(body.toString('utf8').replace(/\0$/, ''));
          const message = Buffer.from('SFATAL\0C28P01\0Mfake server\0\0', 'utf8');
          const error = Buffer.alloc(5);
          error.write('E', 0);
          error.writeInt32BE(4 + message.length, 1);
          socket.end(Buffer.concat([error, message]));
          return;
        }
        if (type === 'X') return void socket.end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  fake.port = (server.address() as { port: number }).port;
  return Object.assign(fake, {
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  });
}
