import { randomBytes } from 'node:crypto';

/** Opaque, unguessable ids (96 random bits), safe in URLs and Vault paths. */
export const newSecretId = () => `sec_${randomBytes(12).toString('base64url')}`;
export { SECRET_ID_PATTERN } from '../common/resource-id.js';
