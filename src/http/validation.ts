import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { findUnsafeInput, type InputProblem } from '../common/input-limits.js';

interface FieldProblem {
  field: string;
  problems: string[];
}

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * Strict DTO validation: unknown fields are rejected, and a 400 lists every failing field.
 * Messages name fields and rules; `validationError.value: false` keeps input values (which may
 * be secrets) out of them.
 */
export function createValidationPipe(): ValidationPipe {
  return new EdgeValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return new DomainError(
        DomainErrorCode.InvalidInput,
        `invalid request: ${fields.map((f) => f.field).join(', ')}`,
        { errors: fields },
      );
    },
  });
}

const invalid = (fields: InputProblem[]) =>
  new DomainError(DomainErrorCode.InvalidInput, `invalid request: ${fields.map((f) => f.field).join(', ')}`, { errors: fields });

/**
 * Before the DTO rules: every path, query and body value is checked for control characters (NUL
 * first of all, which PostgreSQL text cannot hold) and repeated query parameters are bounded; a
 * body that should be a DTO must be a JSON object. One place, so no route can forget it.
 *
 * Most reads carry no query string at all (`GET /secrets/{id}/value`). Validating `{}` against a
 * query DTO gives the same answer every time, so once it has passed for a class, later empty
 * queries skip class-transformer and class-validator and get a fresh instance, which is what the
 * transform would build from `{}`. Anything non-empty goes through the full pipe.
 */
class EdgeValidationPipe extends ValidationPipe {
  private readonly emptyPasses = new WeakSet<object>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const type = metadata.metatype as (new () => object) | undefined;
    const empty = metadata.type === 'query' && typeof type === 'function' && isEmptyObject(value);
    if (empty && this.emptyPasses.has(type)) return new type();
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      const root = metadata.type === 'body' ? '' : (metadata.data ?? '');
      const problem = findUnsafeInput(value, root, metadata.type === 'query');
      if (problem) throw invalid([problem]);
      const expectsObject = metadata.type === 'body' && !metadata.data && isDtoClass(metadata.metatype);
      if (expectsObject && value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
        throw invalid([{ field: 'body', problems: ['the body must be a JSON object'] }]);
      }
    }
    const result = await super.transform(value, metadata);
    if (empty) this.emptyPasses.add(type);
    return result;
  }
}

const isDtoClass = (t: unknown) => typeof t === 'function' && ![String, Number, Boolean, Array, Object].includes(t as never);

function isEmptyObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  for (const _ in value) return false;
  return true;
}
