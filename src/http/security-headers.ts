import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's response headers, computed once at boot. `@fastify/helmet` builds helmet's middleware
 * again on every request (parsing the CSP directives each time, in two hooks, one of them async):
 * a measurable share of a value read's CPU. These headers never vary per request (no nonces), so
 * they are rendered once and set from a plain object.
 */
export function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let failure: unknown;
  helmet(options)({} as never, res as never, (e?: unknown) => (failure = e));
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
  return headers;
}
