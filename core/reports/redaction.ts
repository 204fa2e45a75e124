import type { RedactionPolicy, ReportDocument } from '../contract';

const EMAIL = /\b([A-Za-z0-9._%+-]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b/g;

/** A command with its arguments replaced: the program stays, what it was given goes. */
export function redactCommand(command: string): string {
  return command
    .split(/\s*(?:\|\||&&|;|\|)\s*/)
    .map((part) => {
      const words = part.trim().split(/\s+/);
      return words.length > 1 ? `${words[0]} …` : (words[0] ?? '');
    })
    .join(' | ');
}

/**
 * Applies the tenant's redaction policy to a whole document before anything renders it, so
 * HTML, PDF, JSON and CSV can never disagree about what was removed. Command arguments are
 * redacted where the document marks a cell as a command (`commandCells`).
 */
export function redactDocument(
  document: ReportDocument,
  policy: RedactionPolicy,
  commandCells: ReadonlySet<string>,
): ReportDocument {
  const applied: string[] = [];
  if (policy.commandArguments) applied.push('command arguments (program names kept)');
  if (policy.pathPrefixes.length > 0) applied.push(`path prefixes: ${policy.pathPrefixes.length}`);
  if (policy.actorEmails) applied.push('actor e-mail addresses (domain kept)');
  const text = (value: string): string => {
    let out = value;
    for (const prefix of policy.pathPrefixes) out = out.split(prefix).join('<redacted>/');
    if (policy.actorEmails) out = out.replace(EMAIL, (_m, _local: string, domain: string) => `…@${domain}`);
    return out;
  };
  const cell = (value: string) =>
    text(policy.commandArguments && commandCells.has(value) ? redactCommand(value) : value);
  return {
    ...document,
    summary: text(document.summary),
    figures: document.figures.map((figure) => ({ ...figure, label: text(figure.label), value: text(figure.value) })),
    sections: document.sections.map((section) => ({
      heading: text(section.heading),
      paragraphs: section.paragraphs.map(cell),
      table: section.table
        ? { columns: section.table.columns.map(text), rows: section.table.rows.map((row) => row.map(cell)) }
        : null,
    })),
    redactions: applied,
  };
}
