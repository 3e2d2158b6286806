import { ValidationPipe, type ValidationError } from '@nestjs/common';
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
  return new ValidationPipe({
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
