import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useShortcuts } from '../shortcuts';
import { ExportCsvButton } from './ExportCsvButton';

export interface Column<T> {
  id: string;
  header: string;
  /** One line on screen; longer text ends in an ellipsis and shows in full in its tooltip. */
  cell: (row: T) => ReactNode;
  /** The cell as plain text: the CSV export and the tooltip. */
  text: (row: T) => string | number | null;
  /** CSS width of the column (the table lays out fixed, so the page never scrolls sideways). */
  width?: string;
  /** Left out in narrow windows (under 1000 px); the CSV always has it. */
  wideOnly?: boolean;
}

/** Every row has the same height, which is what lets the table render only the rows in view. */
export const ROW_HEIGHT = 40;
const OVERSCAN = 8;

/**
 * A table for long lists: fixed layout inside its card at any width, only the rows in view
 * rendered (thousands stay cheap and the page keeps its height), a sticky header, `j`/`k` to
 * move between rows and Enter to open one, and a CSV export of exactly the rows it shows.
 */
export function DataTable<T>({
  rows,
  columns,
  csvOnly = [],
  rowKey,
  label,
  selected,
  onOpen,
  openLabel,
  empty,
  exportName,
  testId,
  tools,
  maxRows = 14,
}: {
  rows: readonly T[];
  columns: readonly Column<T>[];
  /** Columns only the CSV carries (a full hash that would not fit on screen). */
  csvOnly?: readonly Column<T>[];
  rowKey: (row: T) => string | number;
  /** The table's name for assistive technology and the shortcut help. */
  label: string;
  selected?: string | number | null;
  /** Makes the first cell a button that opens the row. */
  onOpen?: (row: T) => void;
  openLabel?: (row: T) => string;
  empty: ReactNode;
  /** Parts of the CSV file name (what the view holds: tenant, filters). */
  exportName: readonly string[];
  testId?: string;
  /** More controls beside the export (paging). */
  tools?: ReactNode;
  /** Rows visible before the table scrolls inside its card. */
  maxRows?: number;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [cursor, setCursor] = useState(-1);
  const focusAfterRender = useRef<number | null>(null);
  const printing = usePrinting();
  const viewport = Math.min(rows.length, maxRows) * ROW_HEIGHT;
  // Paper has no scrolling: a printout gets every row.
  const first = printing ? 0 : Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = printing
    ? rows.length
    : Math.min(rows.length, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
  const visible = rows.slice(first, last);

  // A shorter list (new filter) must not leave the view scrolled past its end.
  useEffect(() => {
    const element = scroller.current;
    if (element && element.scrollTop > rows.length * ROW_HEIGHT) element.scrollTop = 0;
  }, [rows.length]);

  useLayoutEffect(() => {
    const index = focusAfterRender.current;
    if (index === null) return;
    focusAfterRender.current = null;
    scroller.current?.querySelector<HTMLElement>(`[data-row-index="${index}"] .row-open`)?.focus();
  });

  function move(delta: number) {
    if (rows.length === 0) return;
    const focused = document.activeElement?.closest('[data-row-index]')?.getAttribute('data-row-index');
    const from = focused != null ? Number(focused) : cursor;
    const to = Math.max(0, Math.min(rows.length - 1, from + delta));
    const element = scroller.current;
    if (element) {
      const top = to * ROW_HEIGHT;
      if (top < element.scrollTop) element.scrollTop = top;
      else if (top + ROW_HEIGHT > element.scrollTop + element.clientHeight - ROW_HEIGHT)
        element.scrollTop = top + 2 * ROW_HEIGHT - element.clientHeight;
      setScrollTop(element.scrollTop);
    }
    setCursor(to);
    focusAfterRender.current = to;
  }

  useShortcuts(label, [
    { keys: 'j', key: 'j', description: `Next row of ${label.toLowerCase()}`, run: () => move(1) },
    { keys: 'k', key: 'k', description: `Previous row of ${label.toLowerCase()}`, run: () => move(-1) },
    ...(onOpen ? [{ keys: 'Enter', description: 'Open the row whose number has focus' }] : []),
  ]);

  return (
    <div className="data-table">
      <div className="table-tools">
        {tools}
        <ExportCsvButton
          name={exportName}
          header={[...columns, ...csvOnly].map((c) => c.header)}
          rows={() => rows.map((row) => [...columns, ...csvOnly].map((c) => c.text(row)))}
          count={rows.length}
        />
      </div>
      <div
        ref={scroller}
        className="table-scroll"
        style={{ maxHeight: `${(maxRows + 1) * ROW_HEIGHT + 2}px` }}
        onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
      >
        <table className="table fixed" aria-label={label} aria-rowcount={rows.length + 1} data-testid={testId}>
          <colgroup>
            {columns.map((column) => (
              <col
                key={column.id}
                className={column.wideOnly ? 'wide-only' : undefined}
                style={column.width ? { width: column.width } : undefined}
              />
            ))}
          </colgroup>
          <thead>
            <tr aria-rowindex={1}>
              {columns.map((column) => (
                <th key={column.id} scope="col" className={column.wideOnly ? 'wide-only' : undefined}>
                  {column.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={columns.length} className="muted empty-cell">
                  {empty}
                </td>
              </tr>
            )}
            {first > 0 && <tr className="spacer" aria-hidden="true" style={{ height: first * ROW_HEIGHT }} />}
            {visible.map((row, offset) => {
              const index = first + offset;
              const key = rowKey(row);
              return (
                <tr
                  key={key}
                  aria-rowindex={index + 2}
                  aria-selected={selected === undefined ? undefined : key === selected}
                  data-row-index={index}
                  data-key={key}
                >
                  {columns.map((column, columnIndex) => {
                    const text = column.text(row);
                    return (
                      <td
                        key={column.id}
                        title={text === null ? undefined : String(text)}
                        className={column.wideOnly ? 'wide-only' : undefined}
                      >
                        {columnIndex === 0 && onOpen ? (
                          <button
                            type="button"
                            className="link row-open"
                            onClick={() => {
                              setCursor(index);
                              onOpen(row);
                            }}
                            aria-label={openLabel ? openLabel(row) : undefined}
                          >
                            {column.cell(row)}
                          </button>
                        ) : (
                          column.cell(row)
                        )}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
            {last < rows.length && (
              <tr className="spacer" aria-hidden="true" style={{ height: (rows.length - last) * ROW_HEIGHT }} />
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function usePrinting(): boolean {
  const [printing, setPrinting] = useState(false);
  useEffect(() => {
    const before = () => setPrinting(true);
    const after = () => setPrinting(false);
    window.addEventListener('beforeprint', before);
    window.addEventListener('afterprint', after);
    return () => {
      window.removeEventListener('beforeprint', before);
      window.removeEventListener('afterprint', after);
    };
  }, []);
  return printing;
}
