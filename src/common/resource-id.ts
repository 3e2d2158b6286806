import { Param, type PipeTransform } from '@nestjs/common';
import { DomainError, DomainErrorCode } from './domain-error.js';

/**
 * Path ids are checked for their shape before anything looks them up: `<prefix>_` and at most 36
 * base64url characters (what our ids are made of, with room to spare so an unknown but
 * well-formed id is still a 404). Anything else (NUL, slashes, 10 kB of text) is a 400.
 */
export const ID_PREFIXES = { secret: 'sec', task: 'task', report: 'rpt', policy: 'pol', incident: 'inc' } as const;

/** A secret id exactly as Strongroom makes them (secrets/secret-id.ts): 96 random bits, base64url. */
export const SECRET_ID_PATTERN = /^sec_[A-Za-z0-9_-]{16}$/;
export const wellFormedId = (prefix: string) => new RegExp(`^${prefix}_[A-Za-z0-9_-]{1,36}$`);

/** Job names: lower-case words joined by underscores. */
const JOB_NAME = /^[a-z][a-z0-9_]{0,63}$/;

class IdPipe implements PipeTransform<unknown, string> {
  constructor(
    private readonly name: string,
    private readonly pattern: RegExp,
    private readonly shape: string,
  ) {}

  transform(value: unknown): string {
    if (typeof value === 'string' && this.pattern.test(value)) return value;
    throw new DomainError(DomainErrorCode.InvalidInput, `invalid request: ${this.name}`, {
      errors: [{ field: this.name, problems: [`${this.name} must be ${this.shape}`] }],
    });
  }
}

const idParam = (name: string, prefix: string) => Param(name, new IdPipe(name, wellFormedId(prefix), `an id of the form ${prefix}_…`));

/** `@SecretIdParam() id: string` — the `:id` of /secrets/{id}/… routes. */
export const SecretIdParam = (name = 'id') => idParam(name, ID_PREFIXES.secret);
export const TaskIdParam = (name = 'id') => idParam(name, ID_PREFIXES.task);
export const ReportIdParam = (name = 'id') => idParam(name, ID_PREFIXES.report);
export const PolicyIdParam = (name = 'id') => idParam(name, ID_PREFIXES.policy);
export const IncidentIdParam = (name = 'id') => idParam(name, ID_PREFIXES.incident);
export const JobNameParam = (name = 'name') => Param(name, new IdPipe(name, JOB_NAME, 'a job name (lower-case letters, digits, _)'));
