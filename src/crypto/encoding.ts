/**
 * Strict base64 decoding. `Buffer.from(text, 'base64')` silently skips invalid characters and
 * accepts non-canonical trailing bits, so text is only accepted if it re-encodes to itself.
 */

/** Unpadded base64url, as used for every binary part of an envelope. */
export function decodeBase64Url(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

/** Standard or URL-safe base64, padded or not (if padded, the padding must be complete). */
export function decodeBase64(text: string): Buffer | null {
  const match = /^([A-Za-z0-9+/_-]*)(=*)$/.exec(text);
  if (!match) return null;
  const [, body = '', padding = ''] = match;
  if (padding.length > 0 && (padding.length > 2 || text.length % 4 !== 0)) return null;
  return decodeBase64Url(body.replaceAll('+', '-').replaceAll('/', '_'));
}
