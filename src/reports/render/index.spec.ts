import { describe, expect, it } from 'vitest';
import { contentDisposition, contentType, fileName, isReportFormat, renderCsv, renderJson, renderPdf } from './index.js';
import type { ReportDocument } from './index.js';
import { sampleReportDocument } from './sample-report.js';

describe('format helpers', () => {
  const doc = sampleReportDocument();

  it('maps formats to content types', () => {
    expect(contentType('json')).toBe('application/json; charset=utf-8');
    expect(contentType('csv')).toBe('text/csv; charset=utf-8');
    expect(contentType('pdf')).toBe('application/pdf');
    expect(isReportFormat('pdf')).toBe(true);
    expect(contentType('xlsx')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(contentType('zip')).toBe('application/zip');
    expect(isReportFormat('xlsx')).toBe(true);
    expect(isReportFormat('docx')).toBe(false);
    expect(isReportFormat(undefined)).toBe(false);
  });

  it('names downloads by kind, standard and period', () => {
    expect(fileName(doc, 'pdf')).toBe('strongroom-security-2026-11-30.pdf');
    expect(fileName({ ...doc, kind: 'compliance', standard: 'soc2' }, 'pdf')).toBe('strongroom-soc2-2026-11.pdf');
    expect(fileName({ ...doc, kind: 'compliance', standard: 'pci_dss', period: { from: '2026-11-01T00:00:00Z', to: '2026-11-12T09:00:00Z' } }, 'xlsx')).toBe(
      'strongroom-pci-dss-2026-11.xlsx',
    );
    expect(fileName({ ...doc, kind: 'access_review', period: { from: '2026-07-01', to: '2026-09-30T23:59:59.999Z' } }, 'csv')).toBe(
      'strongroom-access-review-2026-q3.csv',
    );
    expect(fileName({ ...doc, kind: 'annual', period: { from: '2026-01-01', to: '2026-12-31T23:59:59Z' } }, 'json')).toBe('strongroom-annual-2026.json');
    expect(fileName({ ...doc, kind: 'compliance', standard: 'gdpr', period: { from: '2026-10-15', to: '2026-11-14' } }, 'zip')).toBe(
      'strongroom-gdpr-2026-10-15-to-2026-11-14.zip',
    );
    const hostile = { ...doc, kind: 'x/../"; rm -rf' as ReportDocument['kind'], period: { from: '', to: '"\r\n' } };
    expect(fileName(hostile, 'pdf')).toMatch(/^[a-z0-9-]+-2026-11-30\.pdf$/);
    expect(contentDisposition(doc, 'pdf')).toBe('attachment; filename="strongroom-security-2026-11-30.pdf"');
  });

  it('re-exports the renderers', async () => {
    expect(typeof renderJson(doc)).toBe('string');
    expect(renderCsv(doc).startsWith('Summary\r\n')).toBe(true);
    expect((await renderPdf(doc)).subarray(0, 4).toString()).toBe('%PDF');
  });
});
