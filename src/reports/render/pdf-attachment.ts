import { inflateSync } from 'node:zlib';

/**
 * Reads back the signed JSON that `renderPdf` attaches (an `/EmbeddedFile` stream, the only one
 * with Subtype application/json), so `report:verify` can check a PDF on its own. A small reader
 * for what pdfkit writes (uncompressed object syntax, direct /Length, Flate or no filter), not a
 * general PDF parser: anything else answers undefined.
 */
export function attachedReportJson(pdf: Buffer): string | undefined {
  const latin = pdf.toString('latin1');
  const re = /<<\s*\/Type\s*\/EmbeddedFile\b/g;
  for (let m = re.exec(latin); m; m = re.exec(latin)) {
    const streamAt = latin.indexOf('stream', m.index);
    if (streamAt < 0) return undefined;
    const dict = latin.slice(m.index, streamAt);
    if (!/\/Subtype\s*\/application#2Fjson/.test(dict)) continue;
    const length = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict);
    if (!length) continue;
    let start = streamAt + 'stream'.length;
    if (latin[start] === '\r') start++;
    if (latin[start] === '\n') start++;
    const bytes = pdf.subarray(start, start + Number(length[1]));
    try {
      return (/\/Filter\s*\/FlateDecode/.test(dict) ? inflateSync(bytes) : bytes).toString('utf8');
    } catch {
      return undefined;
    }
  }
  return undefined;
}
