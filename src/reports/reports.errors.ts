import { DomainError, DomainErrorCode, notFound } from '../common/domain-error.js';

export const reportNotFound = (id: string) => notFound('report', id);

export const standardRequired = () =>
  new DomainError(DomainErrorCode.InvalidInput, 'standard is required for compliance reports (soc2, pci_dss, gdpr or hipaa)');

export const standardNotApplicable = () => new DomainError(DomainErrorCode.InvalidInput, 'standard applies to compliance reports only');

export const storedReportUnreadable = (id: string) =>
  new DomainError(DomainErrorCode.Unprocessable, `report ${id} is stored in a form this version cannot read`);

/** Every generation slot of this replica stayed taken (or another replica kept generating) for the whole wait. */
export const generationBusy = (retryAfterSeconds: number) =>
  new DomainError(DomainErrorCode.RateLimited, 'report generation is busy; try again shortly', { retry_after_seconds: retryAfterSeconds });
