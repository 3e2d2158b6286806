import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of the machine's PostgreSQL (or MariaDB, Redis) that a test can freeze: while
 * paused it forwards nothing in either direction and opens no upstream connection, so the
 * service sees what a frozen database looks like (connections open, no replies) without the
 * shared server being touched. `resume()` forwards what was held back.
 */
export interface PausableProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  pause(): void;
  resume(): void;
  /**
   * Awaited for each new client connection (numbered from 1) before anything is forwarded, e.g.
   * to kill the service at its n-th connection to the target.
   */
  beforeConnect?: (n: number) => Promise<void> | void;
  close(): Promise<void>;
}

export async function startPausableProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<PausableProxy> {
  let paused = false;
  const pairs = new Set<[Socket, Socket | undefined]>();
  const held: (() => void)[] = [];

  const open = (client: Socket, pair: [Socket, Socket | undefined]) => {
    const upstream = connect(targetPort, targetHost);
    pair[1] = upstream;
    // Plain forwarding (no pipe): a piped stream resumes itself on 'drain', a paused proxy must not.
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => client.write(d));
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    upstream.on('error', end).on('close', end);
    client.on('close', end);
    if (paused) {
      client.pause();
      upstream.pause();
    } else client.resume();
  };

  let connections = 0;
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    const pair: [Socket, Socket | undefined] = [client, undefined];
    pairs.add(pair);
    client.on('error', () => client.destroy());
    void (async () => {
      await proxy.beforeConnect?.(++connections);
      if (client.destroyed) return void pairs.delete(pair);
      if (paused) held.push(() => open(client, pair));
      else open(client, pair);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  const proxy: PausableProxy = {
    port,
    urlFor(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    pause() {
      paused = true;
      for (const [client, upstream] of pairs) {
        client.pause();
        upstream?.pause();
      }
    },
    resume() {
      paused = false;
      for (const [client, upstream] of pairs) {
        if (upstream) {
          client.resume();
          upstream.resume();
        }
      }
      for (const go of held.splice(0)) go();
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
