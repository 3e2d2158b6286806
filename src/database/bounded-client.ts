import pg from 'pg';

/**
 * The pg client the pool uses. pg's client-side `query_timeout` answers a query the server never
 * replies to (a frozen or partitioned server), but leaves the connection waiting for that reply,
 * so every later query on it would time out too. Dropping the socket makes the pool discard it.
 */
export class BoundedClient extends pg.Client {
  override query(...args: unknown[]): any {
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).catch((e: unknown) => {
        if ((e as Error)?.message === 'Query read timeout') this.drop();
      });
    }
    return result;
  }

  private drop(): void {
    (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  }
}
