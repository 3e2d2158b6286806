import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { armor, Decrypter, Encrypter } from 'age-encryption';
import { checkpointSignatureValid, keyIdOf, parsePublicKey, type SignedCheckpoint } from '../audit/checkpoint-signature.js';
import type { SecretSnapshot } from '../secrets/secret-restore.js';

/**
 * The backup bundle, as pure functions shared by the service and the offline CLIs
 * (`backup:verify`, `backup:restore`). A bundle is JSON Lines: a header, one line per secret, a
 * trailer. Each value is its own ASCII-armored age file (`age -d -i KEY` opens it), encrypted to
 * BACKUP_RECIPIENTS; everything else is metadata in the clear. The trailer carries the SHA-256 of
 * every byte before it and an Ed25519 signature (the audit signing key) over that digest.
 */
export const BUNDLE_FORMAT = 'strongroom-backup';
export const BUNDLE_VERSION = 1;
/** Sealed in the header, so a wrong identity is refused before anything is written. */
export const KEY_CHECK_TEXT = 'strongroom backup key check';

export interface BundleHeader {
  kind: 'header';
  format: typeof BUNDLE_FORMAT;
  version: number;
  id: string;
  created_at: string;
  recipients: string[];
  key_check: string;
  signing_key: { key_id: string; public_key_pem: string };
  audit: { head: { seq: string; hash: string } | null; checkpoint: SignedCheckpoint | null };
}

export interface BundleVersion {
  version: number;
  state: string;
  created_at: string;
  created_by: string;
  destroyed_at: string | null;
  /** Armored age file of the value; null for a destroyed (or unreadable) version. */
  value: string | null;
  /** Set when the value could not be read at backup time (restored as destroyed). */
  unreadable?: string;
}

/** A secret's metadata in a bundle: the secrets module's snapshot, field for field. */
export type BundleSecretRecord = SecretSnapshot;

export interface BundleSecret {
  kind: 'secret';
  secret: BundleSecretRecord;
  versions: BundleVersion[];
}

export interface BundleCounts {
  secrets: number;
  versions: number;
  values: number;
}

export interface BundleTrailer {
  kind: 'trailer';
  counts: BundleCounts;
  /** Hex SHA-256 of every byte of the bundle before the trailer line. */
  sha256: string;
  key_id: string;
  /** base64 Ed25519 over `signedStatement`. */
  signature: string;
}

/** A bundle that must not be used: one line, no values in it. */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

export function signedStatement(id: string, sha256: string, counts: BundleCounts): Buffer {
  return Buffer.from(`${BUNDLE_FORMAT}/${BUNDLE_VERSION}\n${id}\n${sha256}\n${counts.secrets} ${counts.versions} ${counts.values}\n`);
}

export function signBundle(privateKey: KeyObject, id: string, sha256: string, counts: BundleCounts): string {
  return sign(null, signedStatement(id, sha256, counts), privateKey).toString('base64');
}

export async function sealValue(recipients: string[], value: string): Promise<string> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return armor.encode(await e.encrypt(value));
}

/** The identities of an age identity file (as `age-keygen` writes it: comments and AGE-SECRET-KEY-1… lines). */
export function parseIdentityFile(text: string): string[] {
  const ids = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('AGE-SECRET-KEY-'));
  if (ids.length === 0) throw new BundleError('the identity file holds no age identity (AGE-SECRET-KEY-1… line)');
  return ids;
}

export class ValueOpener {
  private readonly decrypter = new Decrypter();

  constructor(identities: string[]) {
    for (const id of identities) this.decrypter.addIdentity(id);
  }

  async open(armored: string): Promise<string> {
    return this.decrypter.decrypt(armor.decode(armored), 'text');
  }
}

export interface VerifiedBundle {
  header: BundleHeader;
  trailer: BundleTrailer;
  /** Hex SHA-256 of the whole file (what `sha256sum` prints and GET /backups lists). */
  fileSha256: string;
}

/**
 * Reads a bundle line by line, calling `onSecret` for each secret line, and checks the
 * checksum and signature at the end (and `trusted`, when given, is the key that signed it).
 * Throws BundleError for anything damaged, tampered or signed by another key.
 */
export async function readBundle(
  path: string,
  options: { trusted?: KeyObject; onSecret?: (s: BundleSecret, header: BundleHeader) => Promise<void> } = {},
): Promise<VerifiedBundle> {
  const content = createHash('sha256');
  const file = createHash('sha256');
  let header: BundleHeader | undefined;
  let trailer: BundleTrailer | undefined;
  const counts: BundleCounts = { secrets: 0, versions: 0, values: 0 };
  let lineNo = 0;
  let stream;
  try {
    stream = createReadStream(path);
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    for await (const line of lines) {
      lineNo++;
      if (trailer) throw new BundleError(`the bundle is damaged or tampered with: data after the trailer (line ${lineNo})`);
      let parsed: { kind?: string };
      try {
        parsed = JSON.parse(line) as { kind?: string };
      } catch {
        throw new BundleError(`the bundle is damaged or tampered with: line ${lineNo} is not JSON`);
      }
      file.update(line + '\n');
      if (parsed.kind === 'trailer') {
        trailer = parsed as BundleTrailer;
        continue;
      }
      content.update(line + '\n');
      if (lineNo === 1) {
        if (parsed.kind !== 'header' || (parsed as BundleHeader).format !== BUNDLE_FORMAT) {
          throw new BundleError('not a Strongroom backup bundle (no strongroom-backup header)');
        }
        header = parsed as BundleHeader;
        if (header.version !== BUNDLE_VERSION) throw new BundleError(`unsupported bundle version ${header.version} (this tool reads ${BUNDLE_VERSION})`);
        continue;
      }
      if (parsed.kind !== 'secret') throw new BundleError(`the bundle is damaged or tampered with: line ${lineNo} is not a secret`);
      const s = parsed as BundleSecret;
      counts.secrets++;
      counts.versions += s.versions.length;
      counts.values += s.versions.filter((v) => v.value !== null).length;
      if (options.onSecret) await options.onSecret(s, header!);
    }
  } catch (e) {
    if (e instanceof BundleError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new BundleError(`cannot read ${path}: ${code ?? (e as Error).message}`);
  } finally {
    stream?.destroy();
  }
  if (!header) throw new BundleError('not a Strongroom backup bundle (empty file)');
  if (!trailer) throw new BundleError('the bundle is incomplete: no trailer (truncated copy or interrupted backup?)');
  const sha256 = content.digest('hex');
  if (sha256 !== trailer.sha256) throw new BundleError('the bundle is damaged or tampered with: its checksum does not match');
  if (counts.secrets !== trailer.counts.secrets || counts.versions !== trailer.counts.versions || counts.values !== trailer.counts.values) {
    throw new BundleError('the bundle is damaged or tampered with: its counts do not match');
  }
  let signer: KeyObject;
  try {
    signer = createPublicKey(header.signing_key.public_key_pem);
  } catch {
    throw new BundleError('the bundle is damaged or tampered with: its signing key does not parse');
  }
  if (keyIdOf(signer) !== trailer.key_id || header.signing_key.key_id !== trailer.key_id) {
    throw new BundleError('the bundle is damaged or tampered with: its signing key ids disagree');
  }
  if (options.trusted && keyIdOf(options.trusted) !== trailer.key_id) {
    throw new BundleError(`the bundle is signed by ${trailer.key_id}, not by the given public key (${keyIdOf(options.trusted)})`);
  }
  let good = false;
  try {
    good = verify(null, signedStatement(header.id, sha256, trailer.counts), signer, Buffer.from(trailer.signature, 'base64'));
  } catch {
    good = false;
  }
  if (!good) throw new BundleError('the bundle is damaged or tampered with: its signature is not valid');
  const cp = header.audit.checkpoint;
  if (cp && cp.key_id === trailer.key_id && !checkpointSignatureValid(signer, cp)) {
    throw new BundleError('the bundle is damaged or tampered with: its audit checkpoint signature is not valid');
  }
  return { header, trailer, fileSha256: file.digest('hex') };
}

/** `--public-key` as the audit CLIs take it (PEM, base64 of the PEM or DER, raw key, or a file path). */
export function trustedKey(text: string): KeyObject {
  try {
    return parsePublicKey(text);
  } catch (e) {
    throw new BundleError(`--public-key: ${(e as Error).message}`);
  }
}
