/** What a ciphertext (and a fingerprint) is bound to: one version of one secret. */
export interface SecretAad {
  secretId: string;
  version: number;
}

/**
 * `strongroom:v1:<secretId>:<version>`. Unambiguous because the version is a plain decimal
 * integer (no ':'): the last ':' always separates it from the secret id.
 */
export function canonicalAad({ secretId, version }: SecretAad): string {
  if (typeof secretId !== 'string' || secretId === '') {
    throw new TypeError('secretId must be a non-empty string');
  }
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new TypeError('version must be a non-negative integer');
  }
  return `strongroom:v1:${secretId}:${version}`;
}
