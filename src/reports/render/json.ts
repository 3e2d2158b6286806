import type { ReportDocument } from './report-document.js';

/**
 * Deterministic JSON: object keys sorted recursively (by UTF-16 code units, as RFC 8785 does),
 * no insignificant whitespace, `undefined` object members omitted and `toJSON()` honoured, exactly
 * like `JSON.stringify`. This is the byte string the report's SHA-256 and Ed25519 signature cover,
 * so anything that would serialise ambiguously (NaN/Infinity, bigint, functions, symbols, cycles)
 * throws instead of being silently coerced.
 */
export function canonicalJson(value: unknown): string {
  const out = serialise(value, new Set<object>(), '');
  if (out === undefined) {
    throw new TypeError('canonicalJson: value is not representable as JSON');
  }
  return out;
}

function serialise(value: unknown, ancestors: Set<object>, path: string): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(path);
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError(`canonicalJson: non-finite number at ${path || '<root>'}`);
      }
      return JSON.stringify(value);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      throw new TypeError(`canonicalJson: bigint at ${path || '<root>'} has no JSON form`);
    case 'object':
      break;
  }
  if (value === null) return 'null';

  const obj = value as object;
  if (ancestors.has(obj)) {
    throw new TypeError(`canonicalJson: circular reference at ${path || '<root>'}`);
  }
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      const items = obj.map((item, i) => serialise(item, ancestors, `${path}[${i}]`) ?? 'null');
      return `[${items.join(',')}]`;
    }
    const record = obj as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = serialise(record[key], ancestors, path ? `${path}.${key}` : key);
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(obj);
  }
}

/**
 * The canonical form of a report as covered by its integrity block: the whole document except
 * `integrity` itself (a digest cannot include itself). Builders hash/sign this string; verifiers
 * recompute it from the downloaded JSON.
 */
export function canonicalReportJson(doc: ReportDocument): string {
  const { integrity: _integrity, ...signed } = doc;
  return canonicalJson(signed);
}

/** Human-readable JSON download (2-space indentation, builder's key order). */
export function renderJson(doc: ReportDocument): string {
  return JSON.stringify(doc, null, 2);
}
