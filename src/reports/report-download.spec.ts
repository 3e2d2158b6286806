import { describe, expect, it } from 'vitest';
import { negotiateFormat } from './report-download.js';

describe('negotiateFormat', () => {
  it('prefers ?format=, then the Accept header, then JSON', () => {
    expect(negotiateFormat('csv', 'application/pdf')).toBe('csv');
    expect(negotiateFormat(undefined, 'application/pdf')).toBe('pdf');
    expect(negotiateFormat(undefined, 'text/csv;q=0.5, application/pdf;q=0.9')).toBe('pdf');
    expect(negotiateFormat(undefined, 'text/html, text/csv')).toBe('csv');
    expect(negotiateFormat(undefined, 'application/pdf;q=0, */*')).toBe('json');
    expect(negotiateFormat(undefined, undefined)).toBe('json');
    expect(negotiateFormat(undefined, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).toBe('xlsx');
    expect(negotiateFormat(undefined, 'application/zip')).toBe('zip');
  });
});
