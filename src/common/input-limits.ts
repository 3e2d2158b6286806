import { registerDecorator, ValidateIf, type ValidationOptions } from 'class-validator';

/**
 * Limits every request is held to before any handler runs (see README "Input limits"). They keep
 * input that PostgreSQL cannot store or compare (NUL, out-of-range integers and timestamps) and
 * input that makes no sense (control characters, absurd nesting) out of the service as a 400.
 */

/** PostgreSQL `integer` bounds: a larger number in a query would fail there with a 500. */
export const PG_INT_MAX = 2_147_483_647;
/** PostgreSQL `bigint` upper bound, as text (sequence cursors). */
export const PG_BIGINT_MAX = '9223372036854775807';
/** Deepest JSON nesting accepted in a body (our deepest DTO needs 4). */
export const MAX_JSON_DEPTH = 32;
/** Most values one query parameter may repeat (`?tag=a:b&tag=c:d`). */
export const MAX_QUERY_ARRAY = 20;

/**
 * C0 controls and DEL except tab, line feed and carriage return. NUL in particular: PostgreSQL
 * text cannot hold it. Secret values (fields named `value`) are opaque and exempt.
 */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const OPAQUE_FIELDS = new Set(['value']);

export const hasControlCharacters = (s: string) => CONTROL_CHARACTERS.test(s);

export interface InputProblem {
  field: string;
  problems: string[];
}

/**
 * The first string (or object key) holding a control character, or a query parameter repeated
 * too often. Walks iteratively: input depth is already bounded by the JSON parser, but a walk
 * must never be the thing that overflows the stack.
 */
export function findUnsafeInput(input: unknown, root: string, isQuery: boolean): InputProblem | null {
  const stack: Array<{ value: unknown; path: string; key: string }> = [{ value: input, path: root, key: '' }];
  while (stack.length > 0) {
    const { value, path, key } = stack.pop()!;
    if (typeof value === 'string') {
      if (!OPAQUE_FIELDS.has(key) && hasControlCharacters(value)) {
        return { field: path, problems: [`${path || 'value'} must not contain NUL or other control characters`] };
      }
    } else if (Array.isArray(value)) {
      if (isQuery && value.length > MAX_QUERY_ARRAY) {
        return { field: path, problems: [`${path} may be given at most ${MAX_QUERY_ARRAY} times`] };
      }
      value.forEach((v, i) => stack.push({ value: v, path: `${path}[${i}]`, key }));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const child = path ? `${path}.${k}` : k;
        if (hasControlCharacters(k)) return { field: path || 'body', problems: ['field names must not contain control characters'] };
        stack.push({ value: v, path: child, key: k });
      }
    }
  }
  return null;
}

/**
 * Nesting depth of a JSON text, counted without building it (brackets outside strings), so a
 * body nested 100,000 deep is refused before JSON.parse or class-transformer recurse into it.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}

const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO 8601 date or timestamp that PostgreSQL stores as given: year 1-9999, a real calendar day. */
export function isStorableTimestamp(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = ISO_TIMESTAMP.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  if (day > new Date(Date.UTC(2000, month, 0)).getUTCDate() || (month === 2 && day === 29 && !isLeap(year))) return false;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) return false;
  return !Number.isNaN(Date.parse(value));
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** A timestamp PostgreSQL can store (see isStorableTimestamp); use instead of IsISO8601. */
export function IsTimestamp(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isTimestamp',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an ISO 8601 date or timestamp (year 0001-9999)`, ...options },
      validator: { validate: isStorableTimestamp },
    });
}

/**
 * For body fields: may be left out, but an explicit `null` is a value and must pass the rules
 * (class-validator's IsOptional lets null through to the service). Fields where null means
 * "clear" say so with their own ValidateIf.
 */
export const IsOmittable = (options?: ValidationOptions) => ValidateIf((_object: object, value: unknown) => value !== undefined, options);
