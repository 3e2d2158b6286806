import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Embedded fonts for the PDF: Noto Sans (Latin incl. Polish and the rest of Latin Extended, Greek,
 * Cyrillic) with Noto Sans SC as the fallback for what it lacks (CJK ideographs, kana, hangul,
 * full-width forms). Both are OFL fonts shipped as npm packages (`@expo-google-fonts/*`); pdfkit
 * embeds only the glyphs used (subset), so a report stays small although the SC font is 10 MB.
 * Read once per process and kept: parsing a font file is the slow part of starting a PDF.
 */

const require = createRequire(import.meta.url);

const FILES = {
  'Sans': '@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf',
  'Sans-Bold': '@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf',
  'Sans-Italic': '@expo-google-fonts/noto-sans/400Regular_Italic/NotoSans_400Regular_Italic.ttf',
  'CJK': '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf',
  'CJK-Bold': '@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf',
} as const;

export type EmbeddedFont = keyof typeof FILES;

let cache: Map<EmbeddedFont, Buffer> | undefined;

function fontBuffers(): Map<EmbeddedFont, Buffer> {
  cache ??= new Map((Object.keys(FILES) as EmbeddedFont[]).map((name) => [name, readFileSync(require.resolve(FILES[name]))]));
  return cache;
}

/** Registers every embedded font on `pdf` under its name. */
export function registerFonts(pdf: PDFKit.PDFDocument): void {
  for (const [name, buffer] of fontBuffers()) pdf.registerFont(name, buffer);
}

/** The CJK face standing in for a Latin face when a character is missing from Noto Sans. */
export function fallbackOf(font: EmbeddedFont): EmbeddedFont {
  return font === 'Sans-Bold' ? 'CJK-Bold' : 'CJK';
}
