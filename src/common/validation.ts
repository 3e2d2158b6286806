import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { DomainError, DomainErrorCode } from './domain-error.js';

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
  return new EmptyQueryFastPipe({
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

/**
 * Most reads carry no query string at all (`GET /secrets/{id}/value`). Validating `{}` against a
 * query DTO gives the same answer every time, so once it has passed for a class, later empty
 * queries skip class-transformer and class-validator and get a fresh instance, which is what
 * the transform would build from `{}`. Anything non-empty goes through the full pipe.
 */
class EmptyQueryFastPipe extends ValidationPipe {
  private readonly emptyPasses = new WeakSet<object>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const type = metadata.metatype as (new () => object) | undefined;
    const empty = metadata.type === 'query' && typeof type === 'function' && isEmptyObject(value);
    if (empty && this.emptyPasses.has(type)) return new type();
    const result = await super.transform(value, metadata);
    if (empty) this.emptyPasses.add(type);
    return result;
  }
}

function isEmptyObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  for (const _ in value) return false;
  return true;
}
