import createClient from 'openapi-fetch';
import type { components, paths } from '../../client/schema';
import { currentToken, signOut } from './auth';

export type Schemas = components['schemas'];

/** The typed client, generated from the service's OpenAPI document (client/schema.d.ts). */
export const api = createClient<paths>({ baseUrl: window.location.origin });

api.use({
  onRequest({ request }) {
    const token = currentToken();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return new Request(request, { cache: 'no-store', credentials: 'omit' });
  },
  onResponse({ response }) {
    // An expired or revoked token: back to the sign-in page.
    if (response.status === 401) signOut('The service did not accept your token (expired or not valid here): sign in again.');
    return response;
  },
});

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** The body of a 2xx answer, or an ApiError carrying the server's message (never a value). */
export async function ok<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const message = error && typeof error === 'object' && 'message' in error ? String((error as { message: unknown }).message) : `HTTP ${response.status}`;
    throw new ApiError(response.status, message);
  }
  return data as T;
}

/** GETs a file with the bearer token and hands it to the browser as a download (nothing kept). */
export async function download(path: string, fallbackName: string): Promise<void> {
  const token = currentToken();
  const res = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {}, cache: 'no-store', credentials: 'omit' });
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      message = ((await res.json()) as { message?: string }).message ?? message;
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, message);
  }
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

export const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
