import pg from 'pg';

/**
 * The pg client the pool uses. pg's client-side `query_timeout` answers a query the server never
 * replies to (a frozen or partitioned server), but leaves the connection waiting for that reply,
 * so every later query on it would time out too. Dropping the socket makes the pool discard it.
 */
export class BoundedClient extends pg.Client {
  override query(...args: unknown[]): any {
    const [first] = args;
    if (isSubmittable(first)) this.watchSubmittable(first);
    return this.watch((super.query as (...a: unknown[]) => unknown).apply(this, args));
  }

  /** A submittable (the export's COPY OUT) returns no promise: pg tells it of the timeout through handleError. */
  private watchSubmittable(query: Submittable): void {
    const handleError = query.handleError.bind(query);
    query.handleError = (e: Error, connection: unknown) => {
      if (e?.message === 'Query read timeout') this.drop();
      handleError(e, connection);
    };
  }

  protected watch(result: unknown): unknown {
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

interface Submittable {
  submit(connection: unknown): unknown;
  handleError(e: Error, connection: unknown): void;
}

const isSubmittable = (q: unknown): q is Submittable =>
  typeof q === 'object' && q !== null && typeof (q as Submittable).submit === 'function' && typeof (q as Submittable).handleError === 'function';

/** Uses of one statement text on a connection before it is prepared (a one-off is not worth it). */
export const PREPARE_AFTER_USES = 3;
/** Named statements per connection: the hot ones of a request path fit many times over. */
export const MAX_PREPARED_PER_CONNECTION = 64;
/** Distinct texts counted per connection before the counts start over (bounds the memory). */
const MAX_COUNTED_TEXTS = 1_000;

/**
 * A BoundedClient that turns the parameterised statements it runs often into named prepared
 * statements, so PostgreSQL parses and plans them once per connection instead of on every call
 * (for a value read's three-table join and the audit INSERT that is most of the server's work per
 * query). Learned per connection rather than listed, so the ORM's own INSERTs qualify too; bounded
 * in count. Only for an external PostgreSQL: the embedded database is one backend shared by every
 * pooled connection, where two connections preparing the same name would collide.
 * Off with DATABASE_PREPARED_STATEMENTS=false (e.g. behind a transaction-mode PgBouncer older than 1.21).
 */
export class PreparingClient extends BoundedClient {
  private readonly uses = new Map<string, number>();
  private readonly names = new Map<string, string>();
  /** Names ever given on this connection (a forgotten one stays on the server until the session ends). */
  private prepared = 0;

  override query(...args: unknown[]): any {
    const [text, values] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && args.length === 2) {
      const name = this.nameFor(text);
      if (name) {
        const result = super.query({ name, text, values } as pg.QueryConfig) as Promise<unknown>;
        result.catch((e: unknown) => {
          if (invalidatesPreparedStatement(e)) this.forget(text, name);
        });
        return result;
      }
    }
    return super.query(...args);
  }

  private nameFor(text: string): string | undefined {
    const known = this.names.get(text);
    if (known || this.prepared >= MAX_PREPARED_PER_CONNECTION) return known;
    const n = (this.uses.get(text) ?? 0) + 1;
    if (n < PREPARE_AFTER_USES) {
      if (this.uses.size >= MAX_COUNTED_TEXTS) this.uses.clear();
      this.uses.set(text, n);
      return undefined;
    }
    this.uses.delete(text);
    const name = `strongroom_${++this.prepared}`;
    this.names.set(text, name);
    return name;
  }

  /** The next use of this text runs unnamed, and may be prepared again under a new name. */
  private forget(text: string, name: string): void {
    this.names.delete(text);
    const parsed = (this as unknown as { connection?: { parsedStatements?: Record<string, string> } }).connection?.parsedStatements;
    if (parsed) delete parsed[name];
  }
}

/**
 * A schema change under a running replica (a rolling deploy's migration) can make a prepared
 * statement unusable ("cached plan must not change result type"), and a pooler's reset can drop
 * it ("prepared statement … does not exist"). That query fails once; the statement is forgotten.
 */
function invalidatesPreparedStatement(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return code === '26000' || (code === '0A000' && /cached plan/.test((e as Error).message));
}
