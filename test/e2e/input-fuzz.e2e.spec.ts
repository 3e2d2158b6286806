import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { adminToken } from '../support/tokens.js';

/**
 * Hostile input through every operation of the live OpenAPI document (so routes added later are
 * fuzzed without touching this file), as admin: NUL in every path, query and body string,
 * integers beyond PostgreSQL's range, negative numbers, overlong strings, wrong types, JSON
 * nested thousands deep, forged cursors and non-JSON bodies. Nothing may answer 5xx, and every
 * 4xx carries the error shape {statusCode, error, message, requestId}.
 */
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const NUL = '\u0000';
const deep = (n: number): unknown => {
  let v: unknown = 'x';
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
};
const b64 = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');

/** Values for one query parameter (strings as they go into the URL, before encoding). */
const QUERY_VALUES: Array<string | string[]> = [
  `a${NUL}b`,
  NUL,
  '\u001b[31m',
  '2147483648',
  '99999999999999999999',
  '-1',
  'x'.repeat(5000),
  'true',
  Array.from({ length: 30 }, (_, i) => `k${i}:v`),
  // forged cursors: timestamps Date.parse accepts and PostgreSQL does not, odd ids, big numbers
  b64(['1', 'sec_AAAAAAAAAAAAAAAA']),
  b64(['+275760-09-13T00:00:00.000Z', 'sec_AAAAAAAAAAAAAAAA']),
  b64(['2026-01-01T00:00:00.000Z', `sec_${NUL}`]),
  b64(['0000-01-01T00:00:00.000Z', 'sec_A']),
  b64({ at: 1 }),
  b64('[[[[[[[[[[[[[[[['),
  '9223372036854775808',
  '0001-01-01',
  '0000-01-01T00:00:00Z',
];

/** Replacements for one body field. */
const BODY_VALUES: unknown[] = [
  `a${NUL}b`,
  'x'.repeat(600),
  'x'.repeat(70_000),
  2147483648,
  -1,
  true,
  null,
  {},
  ['a', NUL],
  { [`k${NUL}`]: 'v', a: `b${NUL}` },
  '0000-01-01T00:00:00Z',
];

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  example?: unknown;
  pattern?: string;
  format?: string;
  allOf?: Schema[];
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: Schema;
}
interface Operation {
  method: string;
  path: string;
  params: Parameter[];
  body?: Schema;
}
interface Probe {
  what: string;
  method: string;
  url: string;
  body?: string;
  contentType?: string;
}

describe('hostile input to every /api/v1 operation', () => {
  let app: TestApp;
  let doc: { paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }>>; components?: { schemas?: Record<string, Schema> } };
  let operations: Operation[];
  const ids: Record<string, string> = {};

  const resolve = (s: Schema | undefined): Schema | undefined => {
    if (!s) return s;
    if (s.$ref) return resolve(doc.components?.schemas?.[s.$ref.split('/').pop()!]);
    if (s.allOf?.length === 1) return resolve(s.allOf[0]);
    return s;
  };

  /** A plausible valid value from a schema, so a probe changes one field of an otherwise good body. */
  const sample = (raw: Schema | undefined, depth = 0): unknown => {
    const s = resolve(raw);
    if (!s || depth > 3) return 'x';
    if (s.example !== undefined) return s.example;
    if (s.enum?.length) return s.enum[0];
    if (s.type === 'object' || s.properties) {
      const out: Record<string, unknown> = {};
      for (const key of s.required ?? []) out[key] = sample(s.properties?.[key], depth + 1);
      return out;
    }
    if (s.type === 'array') return [sample(s.items, depth + 1)];
    if (s.type === 'integer' || s.type === 'number') return 1;
    if (s.type === 'boolean') return false;
    if (s.format === 'date-time') return '2030-01-01T00:00:00.000Z';
    return 'sample';
  };

  const idFor = (path: string, name: string) => {
    if (name === 'name') return 'no_such_job';
    if (path.includes('/task/')) return ids.task!;
    if (path.startsWith('/api/v1/reports')) return ids.report!;
    return ids.secret!;
  };

  const urlOf = (op: Operation, pathValues: Record<string, string> = {}, query: Array<[string, string]> = []) => {
    let url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(pathValues[name] ?? idFor(op.path, name)));
    if (query.length) url += `?${query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
    return url;
  };

  const probesOf = (op: Operation): Probe[] => {
    const probes: Probe[] = [];
    const name = `${op.method} ${op.path}`;
    const base = op.body ? (sample(op.body) as Record<string, unknown>) : undefined;
    const json = (body: unknown) => (body === undefined ? undefined : JSON.stringify(body));
    for (const p of op.params.filter((x) => x.in === 'path')) {
      for (const v of [`${idFor(op.path, p.name)}${NUL}`, NUL, 'x'.repeat(5000), `..${'/'}etc`, 'sec_ü']) {
        probes.push({ what: `${name} path ${p.name}=${JSON.stringify(v.slice(0, 20))}`, method: op.method, url: urlOf(op, { [p.name]: v }), body: json(base) });
      }
    }
    for (const p of op.params.filter((x) => x.in === 'query')) {
      for (const v of QUERY_VALUES) {
        const pairs: Array<[string, string]> = Array.isArray(v) ? v.map((x) => [p.name, x]) : [[p.name, v]];
        probes.push({ what: `${name} query ${p.name}=${JSON.stringify(String(v).slice(0, 30))}`, method: op.method, url: urlOf(op, {}, pairs), body: json(base) });
      }
    }
    if (op.body && base) {
      const schema = resolve(op.body)!;
      const mutate = (target: Record<string, unknown>, key: string, label: string, wrap: (inner: Record<string, unknown>) => unknown) => {
        for (const v of BODY_VALUES) {
          probes.push({ what: `${name} body ${label}=${JSON.stringify(v)?.slice(0, 30)}`, method: op.method, url: urlOf(op), body: json(wrap({ ...target, [key]: v })) });
        }
      };
      for (const [key, propSchema] of Object.entries(schema.properties ?? {})) {
        mutate(base, key, key, (b) => b);
        // one level down: fields of nested objects (rotator) and of array items (bulk secrets)
        const prop = resolve(propSchema);
        const inner = resolve(prop?.type === 'array' ? prop.items : prop);
        if (inner?.properties) {
          const item = sample(inner) as Record<string, unknown>;
          for (const sub of Object.keys(inner.properties)) {
            mutate(item, sub, `${key}.${sub}`, (i) => ({ ...base, [key]: prop?.type === 'array' ? [i] : i }));
          }
        }
      }
      probes.push({ what: `${name} body nested 3000 deep`, method: op.method, url: urlOf(op), body: json(deep(3000)) });
      probes.push({ what: `${name} body nested 200,000 deep (raw)`, method: op.method, url: urlOf(op), body: '['.repeat(200_000) + ']'.repeat(200_000) });
      for (const body of ['null', '"text"', '42', '[]', '[{}]', 'true', '{"a":', '{"__proto__":{"x":1}}', `{"name":"a\\u0000b"}`]) {
        probes.push({ what: `${name} body ${body}`, method: op.method, url: urlOf(op), body });
      }
    }
    if (op.method !== 'GET') {
      probes.push({ what: `${name} form-encoded body`, method: op.method, url: urlOf(op), body: 'name=a&secret_type=API_KEY', contentType: 'application/x-www-form-urlencoded' });
      probes.push({ what: `${name} text/plain body`, method: op.method, url: urlOf(op), body: '{"name":"a"}', contentType: 'text/plain' });
      probes.push({ what: `${name} multipart body`, method: op.method, url: urlOf(op), body: '--b\r\n\r\nx\r\n--b--', contentType: 'multipart/form-data; boundary=b' });
    }
    return probes;
  };

  const send = async (p: Probe, token: string) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (p.body !== undefined) headers['content-type'] = p.contentType ?? 'application/json';
    const res = await fetch(app.url + p.url, { method: p.method, headers, body: p.body });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: body as Record<string, unknown> | null, text, contentType: res.headers.get('content-type') ?? '' };
  };

  beforeAll(async () => {
    app = await startTestApp({ env: { AUTH_FAILURE_LIMIT: '100000' } });
    const fetched = await app.call('GET', '/api/docs-json', { token: null });
    expect(fetched.status).toBe(200);
    doc = fetched.body;
    operations = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/v1/')) continue;
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        operations.push({ method: method.toUpperCase(), path, params: op.parameters ?? [], body: op.requestBody?.content?.['application/json']?.schema });
      }
    }
    const secret = await app.call('POST', '/api/v1/secrets/', { body: { name: 'fuzz_target', secret_type: 'API_KEY', tags: { owner: 'fuzz' } } });
    expect(secret.status).toBe(201);
    ids.secret = secret.body.id;
    const task = await app.call('POST', '/api/v1/secrets/rotate-bulk', { body: { ids: [ids.secret] } });
    expect(task.status).toBe(202);
    ids.task = task.body.task_id;
    const report = await app.call('POST', '/api/v1/reports', { body: { kind: 'access_review' } });
    expect(report.status).toBe(201);
    ids.report = report.body.report.id;
  });
  afterAll(() => app?.stop());

  it('finds the operations, with their parameters and bodies', () => {
    expect(operations.length).toBeGreaterThanOrEqual(25);
    const withQuery = operations.filter((o) => o.params.some((p) => p.in === 'query'));
    const withBody = operations.filter((o) => o.body);
    expect(withQuery.length).toBeGreaterThanOrEqual(8);
    expect(withBody.length).toBeGreaterThanOrEqual(6);
  });

  it('never answers 5xx, and every 4xx is a JSON error with statusCode, error, message and requestId', async () => {
    const token = adminToken('fuzzer');
    const probes = operations.flatMap(probesOf);
    expect(probes.length).toBeGreaterThan(800);
    expect(probes.length).toBeLessThan(3000);
    const problems: string[] = [];
    const queue = [...probes];
    const worker = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const res = await send(p, token);
        if (res.status >= 500) problems.push(`${p.what}: ${res.status} ${res.text.slice(0, 200)}`);
        else if (res.status >= 400) {
          const b = res.body;
          const shaped =
            b !== null && b.statusCode === res.status && typeof b.error === 'string' && typeof b.message === 'string' && typeof b.requestId === 'string';
          if (!shaped) problems.push(`${p.what}: ${res.status} without the error shape: ${res.text.slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(problems).toEqual([]);
    // and the service is still well
    expect((await app.call('GET', '/health/ready', { token: null })).status).toBe(200);
  }, 120_000);

  it('answers the reported cases with 400 (415 for form bodies) and the failing field', async () => {
    const S = '/api/v1/secrets';
    const created = await app.call('POST', `${S}/`, { body: { name: 'fuzz_regressions', secret_type: 'API_KEY' } });
    expect(created.status).toBe(201);
    ids.secret = created.body.id;
    const cases: Array<[Probe, number, string?]> = [
      [{ what: 'NUL in id', method: 'GET', url: `${S}/${ids.secret}%00` }, 400, 'id'],
      [{ what: 'NUL in filter', method: 'GET', url: `${S}/?name_prefix=a%00` }, 400, 'name_prefix'],
      [{ what: 'NUL in tag filter', method: 'GET', url: `${S}/?tag=a:%00` }, 400, 'tag'],
      [{ what: 'version beyond int4', method: 'GET', url: `${S}/${ids.secret}/value?version=2147483648` }, 400, 'version'],
      [{ what: 'forged cursor', method: 'GET', url: `${S}/?cursor=${b64(['1', 'sec_AAAAAAAAAAAAAAAA'])}` }, 400],
      [{ what: 'audit cursor beyond bigint', method: 'GET', url: '/api/v1/audit/events?cursor=9999999999999999999' }, 400],
      [{ what: 'deep JSON', method: 'POST', url: `${S}/`, body: JSON.stringify(deep(3000)) }, 400],
      [{ what: 'NUL in description', method: 'PATCH', url: `${S}/${ids.secret}`, body: JSON.stringify({ description: `a${NUL}` }) }, 400, 'description'],
      [{ what: 'NUL in tag', method: 'PATCH', url: `${S}/${ids.secret}`, body: JSON.stringify({ tags: { value: `a${NUL}` } }) }, 400, 'tags'],
      [{ what: 'NUL in reason', method: 'POST', url: `${S}/${ids.secret}/rotate`, body: JSON.stringify({ reason: `a${NUL}` }) }, 400, 'reason'],
      [{ what: 'bulk reason over 500', method: 'POST', url: `${S}/rotate-bulk`, body: JSON.stringify({ ids: [ids.secret], reason: 'r'.repeat(501) }) }, 400, 'reason'],
      [{ what: 'expiry PostgreSQL cannot store', method: 'PATCH', url: `${S}/${ids.secret}`, body: JSON.stringify({ expires_at: '0000-01-01T00:00:00Z' }) }, 400, 'expires_at'],
      [{ what: 'form-encoded create', method: 'POST', url: `${S}/`, body: 'name=a&secret_type=API_KEY', contentType: 'application/x-www-form-urlencoded' }, 415],
    ];
    for (const [probe, status, field] of cases) {
      const res = await send(probe, adminToken());
      expect(res.status, `${probe.what}: ${res.text.slice(0, 200)}`).toBe(status);
      expect(res.body).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.any(String), requestId: expect.any(String) });
      if (field) expect((res.body!.errors as Array<{ field: string }>).map((e) => e.field)).toContain(field);
    }
    // A NUL inside a secret value is opaque data, not an error.
    const put = await send({ what: 'NUL in value', method: 'PUT', url: `${S}/${ids.secret}/value`, body: JSON.stringify({ value: `a${NUL}b` }) }, adminToken());
    expect(put.status).toBe(200);
    const read = await app.call('GET', `${S}/${ids.secret}/value`);
    expect(read.body.value).toBe(`a${NUL}b`);
  });
});
