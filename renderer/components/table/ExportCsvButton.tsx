import { useUi } from '../../state/ui';
import { exportFileName, toCsv } from './csv';
import { saveFile } from '../saveFile';

/** Downloads the rows a table shows, as CSV, named after what the view holds. */
export function ExportCsvButton({
  name,
  header,
  rows,
  count,
}: {
  name: readonly string[];
  header: readonly string[];
  rows: () => (string | number | null)[][];
  count: number;
}) {
  const announce = useUi((state) => state.announce);
  return (
    <button
      type="button"
      className="secondary"
      disabled={count === 0}
      data-testid="export-csv"
      onClick={() => {
        const file = exportFileName(name, 'csv');
        saveFile(file, toCsv(header, rows()), 'text/csv;charset=utf-8');
        announce(`Exported ${count} rows to ${file}`);
      }}
    >
      Export CSV ({count.toLocaleString()} {count === 1 ? 'row' : 'rows'})
    </button>
  );
}
