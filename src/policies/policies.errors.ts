import { DomainError, DomainErrorCode } from '../common/domain-error.js';

export const policyNotFound = (id: string) => new DomainError(DomainErrorCode.NotFound, `policy ${id} not found`);
export const duplicatePolicyName = (name: string) => new DomainError(DomainErrorCode.Conflict, `a policy named ${name} already exists`);
export const tooManyPolicies = (max: number) =>
  new DomainError(DomainErrorCode.Conflict, `at most ${max} access policies may exist; delete or merge some first`);
/** Explain names a secret that is not there (admins and auditors may know that). */
export const explainedSecretNotFound = (id: string) => new DomainError(DomainErrorCode.NotFound, `secret ${id} not found`);
