/**
 * CSV (RFC 4180) for exports people open in a spreadsheet. Every field is quoted, and a
 * field that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return
 * at the start; agents choose command text) is prefixed with `'` so it stays text.
 */
export function csvField(value: string | number | boolean | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function toCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number | boolean | null)[])[],
): string {
  // CRLF line ends and a byte-order mark: what spreadsheet programs expect from a .csv file.
  return `\uFEFF${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

/** A file name from the parts that say what the export holds, safe on every file system. */
export function exportFileName(parts: readonly string[], extension: string): string {
  const stem = parts
    .filter(Boolean)
    .join('-')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(0, 120);
  return `${stem || 'export'}.${extension}`;
}
