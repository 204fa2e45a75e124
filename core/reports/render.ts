import type { ReportDocument } from '../contract';
import { escapeHtml } from '../connectors';

const TONE_COLOR = { good: '#1f7a4a', warn: '#9a6200', bad: '#b3261e', neutral: '#333333' } as const;

/**
 * The e-mail body: self-contained HTML with inline styles only (mail clients drop <style>
 * and never load remote content), every value escaped.
 */
export function renderHtml(doc: ReportDocument): string {
  const e = escapeHtml;
  const figures = doc.figures
    .map(
      (f) =>
        `<td style="padding:8px 12px;border:1px solid #ddd;vertical-align:top"><div style="font-size:12px;color:#555">${e(f.label)}</div>` +
        `<div style="font-size:20px;font-weight:bold;color:${TONE_COLOR[f.tone]}">${e(f.value)}</div></td>`,
    )
    .join('');
  const sections = doc.sections
    .map((section) => {
      const paragraphs = section.paragraphs.map((p) => `<p style="margin:4px 0">${e(p)}</p>`).join('');
      const table =
        section.table && section.table.rows.length > 0
          ? `<table style="border-collapse:collapse;font-size:12px;width:100%"><thead><tr>${section.table.columns
              .map((c) => `<th style="text-align:left;border-bottom:2px solid #999;padding:4px">${e(c)}</th>`)
              .join('')}</tr></thead><tbody>${section.table.rows
              .map(
                (row) =>
                  `<tr>${row.map((cell) => `<td style="border-bottom:1px solid #eee;padding:4px;word-break:break-word">${e(cell)}</td>`).join('')}</tr>`,
              )
              .join('')}</tbody></table>`
          : '';
      return `<h2 style="font-size:16px;margin:20px 0 6px">${e(section.heading)}</h2>${paragraphs}${table}`;
    })
    .join('');
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>${e(doc.title)} — ${e(doc.tenant)}</title></head>`,
    '<body style="font-family:Arial,Helvetica,sans-serif;color:#222;max-width:900px;margin:0 auto;padding:16px">',
    `<h1 style="font-size:22px;margin:0">${e(doc.title)}</h1>`,
    `<p style="color:#555;margin:4px 0 12px">Tenant ${e(doc.tenant)} · ${e(doc.period.from)} to ${e(doc.period.to)} · generated ${e(doc.generatedAt)}</p>`,
    `<p>${e(doc.summary)}</p>`,
    `<table style="border-collapse:collapse;margin:8px 0"><tr>${figures}</tr></table>`,
    sections,
    '<h2 style="font-size:14px;margin:20px 0 6px">Sources</h2>',
    `<ul style="font-size:12px;color:#555">${doc.sources.map((s) => `<li>${e(s)}</li>`).join('')}</ul>`,
    doc.redactions.length > 0
      ? `<p style="font-size:12px;color:#555">Redacted by tenant policy: ${e(doc.redactions.join('; '))}.</p>`
      : '',
    '</body></html>',
  ].join('');
}

/** The plain-text alternative of the e-mail. */
export function renderText(doc: ReportDocument): string {
  const lines = [
    `${doc.title} — tenant ${doc.tenant}`,
    `Period ${doc.period.from} to ${doc.period.to}; generated ${doc.generatedAt}`,
    '',
    doc.summary,
    '',
    ...doc.figures.map((f) => `  ${f.label}: ${f.value}`),
    '',
    ...doc.sections.flatMap((s) => [
      s.heading,
      ...s.paragraphs.map((p) => `  ${p}`),
      ...(s.table ? s.table.rows.slice(0, 20).map((row) => `  - ${row.join(' | ')}`) : []),
      '',
    ]),
    'The JSON and CSV attachments carry every row.',
  ];
  return lines.join('\n');
}

/** RFC 4180 CSV of every table: section, then the table's own columns. Formula-leading cells are quoted inert. */
export function renderCsv(doc: ReportDocument): string {
  const cell = (value: string) => {
    // A cell starting with = + - @ is a formula in spreadsheets (CSV injection): prefix it with '.
    const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const rows: string[][] = [['report', 'tenant', 'section', 'column', 'row', 'value']];
  for (const section of doc.sections) {
    if (!section.table) continue;
    section.table.rows.forEach((row, r) =>
      row.forEach((value, c) =>
        rows.push([doc.kind, doc.tenant, section.heading, section.table?.columns[c] ?? '', String(r + 1), value]),
      ),
    );
  }
  for (const figure of doc.figures) rows.push([doc.kind, doc.tenant, 'figures', figure.label, '1', figure.value]);
  return `${rows.map((row) => row.map(cell).join(',')).join('\r\n')}\r\n`;
}
