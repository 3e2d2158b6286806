import { CHAIN_FIELDS, type ChainRow } from './audit-chain.js';
import type { SignedCheckpoint } from './checkpoint-signature.js';

/**
 * The JSON Lines export (`GET /api/v1/audit/export`), one JSON object per line, in this order:
 *
 *   {"type":"export", ...}          header: format, range, the signing key's id and public key
 *   {"type":"checkpoint", ...}      every signed checkpoint up to the last exported row, oldest first
 *   {"type":"event", ...ChainRow}   the rows, in chain order (seq ascending), with prev_hash and hash
 *   {"type":"end", ...}             counts; its absence means the file was cut short
 *
 * Only the checkpoints' signatures are trusted offline; everything else is checked against them
 * through the hash chain.
 */
export const EXPORT_FORMAT = 'strongroom.audit.export.v1';

export interface ExportHeaderLine {
  type: 'export';
  format: typeof EXPORT_FORMAT;
  exported_at: string;
  /** The time range asked for; both null for a complete export. */
  from: string | null;
  to: string | null;
  /** True when the export holds the whole retained chain (no from/to). */
  complete: boolean;
  first_seq: string | null;
  last_seq: string | null;
  /** Rows committed but not yet sealed when the export opened: not in this file, in the next one. */
  unsealed?: number;
  key_id: string;
  public_key_pem: string;
}

export type ExportCheckpointLine = SignedCheckpoint & { type: 'checkpoint' };
export type ExportEventLine = ChainRow & { type: 'event' };

export interface ExportEndLine {
  type: 'end';
  events: number;
  checkpoints: number;
}

/** The CSV export's columns (one row per event; RFC 4180 quoting, LF line ends as COPY writes them). */
export const CSV_COLUMNS = CHAIN_FIELDS;
