import { DomainError, DomainErrorCode } from '../common/domain-error.js';

export const incidentNotFound = (id: string) => new DomainError(DomainErrorCode.NotFound, `incident ${id} not found`);
export const lockoutAlreadyLifted = (id: string, at: Date) =>
  new DomainError(DomainErrorCode.Conflict, `the lockout of incident ${id} was already lifted at ${at.toISOString()}`);
export const tooManyLockouts = (max: number) =>
  new DomainError(DomainErrorCode.Conflict, `at most ${max} lockouts may be in force; lift some first`);
/** A 400 naming the field, in the shape the validation pipe uses. */
export const invalidIncident = (field: string, problem: string) =>
  new DomainError(DomainErrorCode.InvalidInput, `invalid request: ${problem}`, { errors: [{ field, problems: [problem] }] });
