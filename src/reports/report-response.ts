import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { annotateAudit } from '../audit-log/audit-scope.js';
import { negotiateFormat, renderDownload } from './report-download.js';
import type { ReportFormat } from './render/index.js';
import type { StrongroomReport } from './reports.types.js';

/**
 * Sets Content-Type and Content-Disposition for `doc` in the negotiated format and returns the
 * body for Nest to send (CSV as a stream). The format is added to the request's audit row.
 */
export async function sendReport(
  reply: FastifyReply,
  doc: StrongroomReport,
  format: ReportFormat | undefined,
  accept: string | undefined,
): Promise<string | Buffer | Readable> {
  const download = await renderDownload(doc, negotiateFormat(format, accept));
  annotateAudit({ details: { format: download.format } });
  void reply.header('Content-Type', download.contentType).header('Content-Disposition', download.contentDisposition);
  return download.body;
}
