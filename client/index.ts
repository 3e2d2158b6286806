/**
 * The typed Strongroom API client: `paths` and `components` are generated from the service's own
 * OpenAPI document (schema.d.ts, `npm run client:generate`); openapi-fetch makes the calls. This
 * file adds what every caller needs and the generator cannot know: the bearer token, one error
 * type with a kind scripts can branch on, keyset paging and task polling. The service never
 * imports this folder (test/architecture.spec.ts).
 */
import createClient, { type Client } from 'openapi-fetch';
import { Agent, fetch as undiciFetch, Request as UndiciRequest } from 'undici';
import type { components, paths } from './schema.js';

export type { components, paths };
export type Schemas = components['schemas'];
export type StrongroomApi = Client<paths>;

export interface StrongroomClientOptions {
  /** e.g. https://strongroom.internal:8443 (no trailing path) */
  baseUrl: string;
  /** Bearer token, or a function returning the current one (re-read on every request). */
  token: string | (() => string);
  /** PEM of a CA to trust for HTTPS, on top of the system's (STRONGROOM_CACERT). */
  caCert?: string | Buffer;
}

/** What a failed call means to a caller; the CLI maps each kind to its own exit code. */
export type ApiErrorKind = 'invalid' | 'denied' | 'not_found' | 'conflict' | 'unavailable' | 'error';

export function kindOfStatus(status: number): ApiErrorKind {
  if (status === 0 || status === 429 || status === 502 || status === 503 || status === 504) return 'unavailable';
  if (status === 401 || status === 403) return 'denied';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 413 || status === 415 || status === 422) return 'invalid';
  return 'error';
}

/** A non-2xx answer (status, the server's message and request id) or no answer at all (status 0). */
export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
    this.kind = kindOfStatus(status);
  }

  static from(status: number, body: unknown): ApiError {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Partial<Schemas['ErrorResponse']>;
    const message = typeof b.message === 'string' ? b.message : `HTTP ${status}`;
    return new ApiError(status, message, b.code, b.requestId);
  }
}

type Answer = { data?: unknown; error?: unknown; response: Response };

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface WaitOptions {
  intervalMs?: number;
  /** Gives up (ApiError 'unavailable') after this long; default: no limit. */
  timeoutMs?: number;
  onProgress?: (status: Schemas['TaskStatusDto']) => void;
}

export interface StrongroomClient {
  /** The generated, typed client: `api.GET('/api/v1/secrets/{id}', { params: { path: { id } } })`. */
  api: StrongroomApi;
  baseUrl: string;
  /** The data of a call, or throws ApiError (also when the service cannot be reached). */
  unwrap<R extends Answer>(call: Promise<R>): Promise<Exclude<R['data'], undefined>>;
  /** Every item of a keyset-paginated list, fetching the next page only when needed. */
  paginate<T>(page: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T>;
  /** Polls a background task until it completed or failed; returns its last status. */
  waitForTask(taskId: string, options?: WaitOptions): Promise<Schemas['TaskStatusDto']>;
  /** A raw authenticated request (downloads, streams) with the same error mapping. */
  fetchRaw(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export function createStrongroomClient(options: StrongroomClientOptions): StrongroomClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const token = typeof options.token === 'function' ? options.token : () => options.token as string;
  // A private CA needs a dispatcher of its own. Node's global fetch bundles its own undici, whose
  // version follows Node's; so with a CA file, requests go through the undici package's fetch,
  // Request and Agent together (one version), and without one through the global fetch.
  const dispatcher = options.caCert ? new Agent({ connect: { ca: options.caCert } }) : undefined;
  const send = (input: string | Request, init?: RequestInit): Promise<Response> =>
    dispatcher ? (undiciFetch(input as never, { ...(init as object), dispatcher }) as unknown as Promise<Response>) : fetch(input, init);
  const api = createClient<paths>(
    dispatcher ? { baseUrl, Request: UndiciRequest as unknown as typeof Request, fetch: (request) => send(request) } : { baseUrl },
  );
  api.use({
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${token()}`);
      return request;
    },
  });

  const unreachable = (e: unknown) => {
    const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
    return new ApiError(0, `cannot reach ${baseUrl}: ${cause?.code ?? cause?.message ?? (e as Error)?.message ?? 'network error'}`);
  };

  const unwrap = async <R extends Answer>(call: Promise<R>): Promise<Exclude<R['data'], undefined>> => {
    let answer: R;
    try {
      answer = await call;
    } catch (e) {
      throw unreachable(e);
    }
    if (!answer.response.ok) throw ApiError.from(answer.response.status, answer.error);
    return answer.data as Exclude<R['data'], undefined>;
  };

  async function* paginate<T>(page: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
    let cursor: string | undefined;
    do {
      const p = await page(cursor);
      yield* p.items;
      cursor = p.next_cursor ?? undefined;
    } while (cursor);
  }

  const waitForTask = async (taskId: string, o: WaitOptions = {}): Promise<Schemas['TaskStatusDto']> => {
    const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs;
    for (;;) {
      const status = await unwrap(api.GET('/api/v1/secrets/task/{id}/status', { params: { path: { id: taskId } } }));
      o.onProgress?.(status);
      if (status.status === 'completed' || status.status === 'failed') return status;
      if (Date.now() > deadline) throw new ApiError(504, `task ${taskId} still ${status.status} after ${o.timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 1000));
    }
  };

  const fetchRaw = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token()}`);
    let res: Response;
    try {
      res = await send(baseUrl + path, { ...init, headers });
    } catch (e) {
      throw unreachable(e);
    }
    if (!res.ok) {
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      throw ApiError.from(res.status, body);
    }
    return res;
  };

  return {
    api,
    baseUrl,
    unwrap,
    paginate,
    waitForTask,
    fetchRaw,
    async close() {
      await dispatcher?.close();
    },
  };
}
