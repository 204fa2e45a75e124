import type { ReportDocument } from '../contract';

const TONE = { good: '#1f7a4a', warn: '#9a6200', bad: '#b3261e', neutral: '#222222' } as const;

/**
 * The executive summary as a one-page A4 PDF. pdfkit with its built-in standard fonts:
 * pure JavaScript, nothing native or downloaded, so the console (any shell) and the CLI
 * produce the same file; the creation date is the report's own time, not the clock's.
 */
export async function renderPdf(doc: ReportDocument): Promise<Buffer> {
  // Loaded on first use: pdfkit and its font tables cost seconds of start-up for every CLI call.
  const { default: PDFDocument } = await import('pdfkit');
  return new Promise((resolve, reject) => {
    const pdf = new PDFDocument({
      size: 'A4',
      margin: 48,
      info: {
        Title: `${doc.title} — ${doc.tenant}`,
        Author: 'CAVRA Enterprise',
        Subject: `${doc.period.from} to ${doc.period.to}`,
        CreationDate: new Date(doc.generatedAt),
        ModDate: new Date(doc.generatedAt),
      },
    });
    const chunks: Buffer[] = [];
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);

    const left = pdf.page.margins.left;
    const width = pdf.page.width - left - pdf.page.margins.right;
    pdf.rect(0, 0, pdf.page.width, 8).fill('#1d3557');
    pdf.fillColor('#1d3557').font('Helvetica-Bold').fontSize(20).text(doc.title, left, 40);
    pdf
      .fillColor('#555555')
      .font('Helvetica')
      .fontSize(9)
      .text(`Tenant ${doc.tenant}  ·  ${doc.period.from} to ${doc.period.to}  ·  generated ${doc.generatedAt}`);
    pdf.moveDown(0.8);
    pdf.fillColor('#222222').font('Helvetica').fontSize(11).text(doc.summary, { width, lineGap: 2 });
    pdf.moveDown(0.8);

    // Key figures as a grid of boxes, three per row.
    const perRow = 3;
    const gap = 10;
    const boxW = (width - gap * (perRow - 1)) / perRow;
    const boxH = 52;
    let y = pdf.y;
    doc.figures.forEach((figure, i) => {
      const col = i % perRow;
      if (i > 0 && col === 0) y += boxH + gap;
      const x = left + col * (boxW + gap);
      pdf.roundedRect(x, y, boxW, boxH, 4).lineWidth(0.8).stroke('#cccccc');
      pdf
        .fillColor('#555555')
        .font('Helvetica')
        .fontSize(8.5)
        .text(figure.label, x + 8, y + 8, { width: boxW - 16 });
      pdf
        .fillColor(TONE[figure.tone])
        .font('Helvetica-Bold')
        .fontSize(18)
        .text(figure.value, x + 8, y + 24, { width: boxW - 16 });
    });
    pdf.x = left;
    pdf.y = y + boxH + 18;

    for (const section of doc.sections) {
      pdf.fillColor('#1d3557').font('Helvetica-Bold').fontSize(13).text(section.heading, left, pdf.y, { width });
      pdf.moveDown(0.3);
      for (const paragraph of section.paragraphs) {
        pdf.fillColor('#222222').font('Helvetica').fontSize(10).text(paragraph, { width });
      }
      if (section.table && section.table.rows.length > 0) {
        const columns = section.table.columns;
        // The first column (a rule, a connector) gets twice the room of the others.
        const unit = width / (columns.length + 1);
        const colX = (i: number) => left + (i === 0 ? 0 : unit * (i + 1));
        const colW = (i: number) => (i === 0 ? unit * 2 : unit) - 6;
        const header = pdf.y + 2;
        pdf.font('Helvetica-Bold').fontSize(9).fillColor('#333333');
        columns.forEach((c, i) => pdf.text(c, colX(i), header, { width: colW(i), lineBreak: false }));
        pdf
          .moveTo(left, header + 13)
          .lineTo(left + width, header + 13)
          .lineWidth(0.8)
          .stroke('#999999');
        let rowY = header + 18;
        pdf.font('Helvetica').fontSize(9).fillColor('#222222');
        for (const row of section.table.rows.slice(0, 12)) {
          row.forEach((cell, i) => pdf.text(cell, colX(i), rowY, { width: colW(i), height: 12, ellipsis: true }));
          rowY += 15;
        }
        pdf.x = left;
        pdf.y = rowY + 6;
      }
      pdf.moveDown(0.6);
    }

    pdf.fillColor('#666666').font('Helvetica').fontSize(8);
    const footer = [
      ...doc.sources,
      ...(doc.redactions.length > 0 ? [`Redacted by tenant policy: ${doc.redactions.join('; ')}`] : []),
    ];
    pdf.text(footer.join('\n'), left, pdf.page.height - pdf.page.margins.bottom - 12 * footer.length - 10, { width });
    pdf.end();
  });
}
