import { DomainError, DomainErrorCode } from '../common/domain-error.js';

export const secretNotFound = (id: string) => new DomainError(DomainErrorCode.NotFound, `secret ${id} not found`);
export const duplicateName = (name: string) =>
  new DomainError(DomainErrorCode.Conflict, `a secret named ${name} already exists`);
export const invalidValue = (problem: string) =>
  new DomainError(DomainErrorCode.InvalidInput, problem, { errors: [{ field: 'value', problems: [problem] }] });
