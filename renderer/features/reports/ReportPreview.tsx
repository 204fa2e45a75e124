import type { OperationOutput } from '../../../core/contract';

const TONE: Record<string, string> = {
  good: 'badge badge-allow',
  warn: 'badge badge-warn',
  bad: 'badge badge-deny',
  neutral: 'badge',
};

/**
 * The document every rendering is drawn from, shown as the console's own markup: the HTML
 * e-mail is never injected into the page.
 */
export function ReportPreview({ rendered }: { rendered: OperationOutput<'reports.render'> }) {
  const doc = rendered.document;
  const pdfSize = rendered.pdf ? Math.round((rendered.pdf.length * 3) / 4 / 1024) : null;
  return (
    <article className="report-preview" aria-label={`${doc.title} preview`} data-testid="report-preview">
      <h3>{doc.title}</h3>
      <p className="muted small">
        Tenant {doc.tenant} · {new Date(doc.period.from).toLocaleString()} to {new Date(doc.period.to).toLocaleString()}{' '}
        · generated {new Date(doc.generatedAt).toLocaleString()}
      </p>
      <p>{doc.summary}</p>
      <dl className="summary-strip">
        {doc.figures.map((figure) => (
          <div key={figure.label}>
            <dt className="small muted">{figure.label}</dt>
            <dd>
              <span className={TONE[figure.tone]}>{figure.value}</span>
            </dd>
          </div>
        ))}
      </dl>
      {doc.sections.map((section) => (
        <section key={section.heading}>
          <h4>{section.heading}</h4>
          {section.paragraphs.map((p) => (
            <p key={p}>{p}</p>
          ))}
          {section.table && section.table.rows.length > 0 && (
            <table className="table">
              <thead>
                <tr>
                  {section.table.columns.map((c) => (
                    <th scope="col" key={c}>
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {section.table.rows.slice(0, 50).map((row, i) => (
                  <tr key={i}>
                    {row.map((cell, j) => (
                      <td key={j} className="small summary-cell">
                        {cell}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ))}
      <p className="small muted">
        Attachments when delivered: {pdfSize !== null ? `PDF (${pdfSize} KB), ` : ''}JSON ({doc.sections.length}{' '}
        sections), CSV ({rendered.csv.split('\r\n').length - 2} cells).
      </p>
      <ul className="small muted">
        {doc.sources.map((s) => (
          <li key={s}>{s}</li>
        ))}
        {doc.redactions.length > 0 && <li>Redacted by tenant policy: {doc.redactions.join('; ')}</li>}
      </ul>
    </article>
  );
}
