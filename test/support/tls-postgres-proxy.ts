/**
 * A PostgreSQL that speaks TLS only, on 127.0.0.1: answers the client's SSLRequest with 'S', does
 * the TLS handshake with the given certificate, then relays the decrypted protocol to the plain
 * test server. A client that starts without TLS is disconnected, as a `hostssl`-only server would.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

const SSL_REQUEST = 80877103;

export interface TlsPostgresProxy {
  /** `postgresql://postgres@127.0.0.1:<port>/<database>` */
  urlFor(database: string): string;
  /** TLS sessions established so far. */
  readonly tlsSessions: number;
  close(): Promise<void>;
}

export async function startTlsPostgresProxy(options: { cert: Buffer; key: Buffer; upstreamPort?: number }): Promise<TlsPostgresProxy> {
  const sockets = new Set<Socket>();
  let sessions = 0;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const server: Server = createServer((socket) => {
    track(socket);
    socket.on('error', () => socket.destroy());
    socket.once('readable', () => {
      const head: Buffer | null = socket.read(8);
      if (!head || head.readInt32BE(0) !== 8 || head.readInt32BE(4) !== SSL_REQUEST) {
        socket.destroy();
        return;
      }
      socket.write('S');
      const secure = new TLSSocket(socket, { isServer: true, cert: options.cert, key: options.key });
      const upstream = connect(options.upstreamPort ?? 5432, '127.0.0.1');
      track(upstream);
      secure.on('secure', () => sessions++);
      const end = () => {
        secure.destroy();
        upstream.destroy();
      };
      secure.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      secure.pipe(upstream).pipe(secure);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    urlFor: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    get tlsSessions() {
      return sessions;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
