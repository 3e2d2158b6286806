import { DomainError, DomainErrorCode } from '../common/domain-error.js';

export const rotationInProgress = (secretId: string) =>
  new DomainError(DomainErrorCode.RotationInProgress, `secret ${secretId} is being rotated right now; try again when that rotation ends`);

export const cannotGenerate = (type: string) =>
  new DomainError(
    DomainErrorCode.InvalidInput,
    `${type} values cannot be generated: send the new value in the body ("value"), or configure a rotator`,
    { errors: [{ field: 'value', problems: [`required to rotate a ${type} secret`] }] },
  );
