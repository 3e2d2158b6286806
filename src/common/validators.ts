import { hasControlCharacters } from './input-limits.js';
import { registerDecorator, type ValidationOptions } from 'class-validator';

/** A flat map of string → string with bounded size (tags). */
export function IsStringMap(maxEntries: number, maxLength: number, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isStringMap',
      target: target.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be an object of at most ${maxEntries} string values; keys and values 1-${maxLength} characters without control characters`,
        ...options,
      },
      validator: {
        validate(value: unknown) {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
          const entries = Object.entries(value as Record<string, unknown>);
          return (
            entries.length <= maxEntries &&
            entries.every(
              ([k, v]) =>
                k.length >= 1 &&
                k.length <= maxLength &&
                !hasControlCharacters(k) &&
                typeof v === 'string' &&
                v.length <= maxLength &&
                !hasControlCharacters(v),
            )
          );
        },
      },
    });
}

/** UTF-8 byte length limit (class-validator's MaxLength counts UTF-16 units). */
export function MaxBytes(max: number, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'maxBytes',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be at most ${max} bytes`, ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && Buffer.byteLength(value, 'utf8') <= max,
      },
    });
}
