import { createHash, createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { annotateAudit, runInAuditScope } from '../audit-log/audit-scope.js';
import { chainHead } from '../audit/audit-rows.js';
import { keyIdOf, privateKeyFromPem, publicKeyPem } from '../audit/checkpoint-signature.js';
import { AuditCheckpoints } from '../audit/checkpoints/audit-checkpoints.js';
import { Clock } from '../clock/clock.js';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import { AppConfig, RuntimeKeys } from '../config/index.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { SecretResponseDto } from '../secrets/dto/secret-response.dto.js';
import { SecretsService } from '../secrets/secrets.service.js';
import { SecretVersions } from '../secrets/secret-versions.service.js';
import { SecretStores } from '../secrets/store/secret-stores.js';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleCounts,
  type BundleHeader,
  type BundleSecret,
  type BundleVersion,
  KEY_CHECK_TEXT,
  sealValue,
  signBundle,
} from './backup-format.js';
import type { BackupListDto, BackupSummaryDto } from './dto/backup.dto.js';

/** `fn` over `items`, at most `limit` at once, results in input order. */
async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const PAGE = 200;
const CONCURRENCY = 4;
const MANIFEST = '.manifest.json';
const ID_PATTERN = /^bk_\d{8}T\d{9}Z_[0-9a-f]{8}$/;

/**
 * Writes backup bundles (backup-format.ts) to BACKUP_DIR and lists them. Values are read through
 * the secrets module's read path (SecretVersions.locate + decode), a page of secrets at a time,
 * and streamed to a temporary file renamed into place once complete, so memory stays flat and a
 * crash never leaves a half bundle under a bundle's name.
 */
@Injectable()
export class BackupsService {
  private readonly signingKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(
    private readonly config: AppConfig,
    keys: RuntimeKeys,
    private readonly clock: Clock,
    private readonly uow: UnitOfWork,
    private readonly dataSource: DataSource,
    private readonly secrets: SecretsService,
    private readonly versions: SecretVersions,
    private readonly stores: SecretStores,
    private readonly checkpoints: AuditCheckpoints,
  ) {
    this.signingKey = privateKeyFromPem(keys.auditSigningKeyPem);
    this.publicKey = createPublicKey(this.signingKey);
  }

  async create(): Promise<BackupSummaryDto> {
    const recipients = this.config.backups.recipients;
    if (recipients.length === 0) {
      throw new DomainError(
        DomainErrorCode.Conflict,
        'backups are not configured: set BACKUP_RECIPIENTS to the age public keys (age1…) bundles are encrypted to; their private keys stay offline',
      );
    }
    const dir = this.config.backups.dir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const now = this.clock.now();
    // Millisecond timestamps: ids sort by time, which is what retention keeps by.
    const id = `bk_${now.toISOString().replace(/[-:.]/g, '')}_${randomBytes(4).toString('hex')}`;
    const file = `${id}.jsonl`;
    const partial = join(dir, `.${file}.partial`);
    const content = createHash('sha256');
    const whole = createHash('sha256');
    const out = createWriteStream(partial, { mode: 0o600 });
    const write = async (line: string, inContent = true) => {
      if (inContent) content.update(line);
      whole.update(line);
      if (!out.write(line)) await once(out, 'drain');
    };
    const counts: BundleCounts = { secrets: 0, versions: 0, values: 0 };
    try {
      const head = await chainHead(this.dataSource);
      const header: BundleHeader = {
        kind: 'header',
        format: BUNDLE_FORMAT,
        version: BUNDLE_VERSION,
        id,
        created_at: now.toISOString(),
        recipients,
        key_check: await sealValue(recipients, KEY_CHECK_TEXT),
        signing_key: { key_id: keyIdOf(this.publicKey), public_key_pem: publicKeyPem(this.publicKey) },
        audit: { head: head ? { seq: head.seq, hash: head.hash } : null, checkpoint: await this.checkpoints.latest() },
      };
      await write(JSON.stringify(header) + '\n');
      let cursor: string | undefined;
      do {
        // Listing and version metadata in their own audit scope: this request's audit row names
        // the backup, not the last secret read.
        const page = await runInAuditScope({}, () => this.secrets.list({ limit: PAGE, cursor } as never));
        // A page's secrets are read and encrypted a few at a time (database round trips overlap),
        // and written in order.
        const lines = await mapBounded(page.items, CONCURRENCY, (s) => this.record(s, recipients));
        for (const { line, versions, values } of lines) {
          await write(JSON.stringify(line) + '\n');
          counts.secrets++;
          counts.versions += versions;
          counts.values += values;
        }
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      const sha256 = content.digest('hex');
      const trailer = { kind: 'trailer', counts, sha256, key_id: keyIdOf(this.publicKey), signature: signBundle(this.signingKey, id, sha256, counts) };
      await write(JSON.stringify(trailer) + '\n', false);
      out.end();
      await once(out, 'finish');
    } catch (e) {
      out.destroy();
      await rm(partial, { force: true });
      throw e;
    }
    const summary: BackupSummaryDto = {
      id,
      created_at: now.toISOString(),
      file,
      size: (await stat(partial)).size,
      counts,
      sha256: whole.digest('hex'),
      key_id: keyIdOf(this.publicKey),
      audit_head_seq: null,
    };
    const head = await chainHead(this.dataSource);
    summary.audit_head_seq = head?.seq ?? null;
    await rename(partial, join(dir, file));
    await writeFile(join(dir, `${id}${MANIFEST}`), JSON.stringify(summary, null, 2) + '\n', { mode: 0o600 });
    annotateAudit({ details: { backup_id: id, secrets: counts.secrets, versions: counts.versions } });
    await this.prune();
    return summary;
  }

  /** One secret's bundle line: metadata, and every version with its value sealed to the recipients. */
  private async record(s: SecretResponseDto, recipients: string[]): Promise<{ line: BundleSecret; versions: number; values: number }> {
    const versions = await runInAuditScope({}, () => this.secrets.listVersions(s.id));
    const out: BundleVersion[] = [];
    for (const v of versions.sort((a, b) => a.version - b.version)) {
      const entry: BundleVersion = { ...v, value: null };
      if (v.state !== 'destroyed') {
        try {
          entry.value = await sealValue(recipients, await this.readVersion(s.id, v.version));
        } catch (e) {
          // A version the store lost is recorded (restored as destroyed), not a failed backup.
          entry.unreadable = (e as Error).message;
        }
      }
      out.push(entry);
    }
    const { deleted_at: _deleted, ...secret } = s;
    return { line: { kind: 'secret', secret, versions: out }, versions: out.length, values: out.filter((v) => v.value !== null).length };
  }

  async list(): Promise<BackupListDto> {
    const dir = this.config.backups.dir;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { items: [] };
      throw e;
    }
    const items: BackupSummaryDto[] = [];
    for (const name of names.filter((n) => n.endsWith(MANIFEST)).sort().reverse()) {
      try {
        items.push(JSON.parse(await readFile(join(dir, name), 'utf8')) as BackupSummaryDto);
      } catch {
        /* a manifest being written or damaged: not listed */
      }
    }
    return { items };
  }

  /** The value of one version through the read path (pending versions too: a restore needs them). */
  private async readVersion(secretId: string, version: number): Promise<string> {
    const tx = this.uow.manager();
    const r = await this.versions.locate(tx, secretId, version);
    if (!r || r.version === null) throw new Error(`version ${version} not found`);
    if (r.state !== 'pending') return this.versions.serve(tx, r, version);
    const payload = r.store === 'local' ? r.payload : await this.versions.storeCall(() => this.stores.for(r.store).get(tx, r.id, r.store_version!));
    if (payload === null) throw new Error('the store no longer holds this version');
    return this.versions.decode({ id: r.id, store: r.store, encryptLocally: r.encrypt_locally }, r.version, payload);
  }

  /** Keeps the newest BACKUP_RETAINED bundles (ids sort by time). */
  private async prune(): Promise<void> {
    const dir = this.config.backups.dir;
    const ids = (await readdir(dir))
      .filter((n) => n.endsWith(MANIFEST))
      .map((n) => n.slice(0, -MANIFEST.length))
      .filter((id) => ID_PATTERN.test(id))
      .sort()
      .reverse();
    for (const id of ids.slice(this.config.backups.retained)) {
      await rm(join(dir, `${id}.jsonl`), { force: true });
      await rm(join(dir, `${id}${MANIFEST}`), { force: true });
    }
  }
}
