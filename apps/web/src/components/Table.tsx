import { createContext, use, type ReactNode } from 'react';

/**
 * How a table shows below the sm breakpoint: `cards` stacks each row as a card of "label value"
 * lines (a Cell's `label`); `columns` stays a table of its essential columns (a Cell that is not
 * `wide`).
 */
type PhoneLayout = 'cards' | 'columns';

const PhoneLayoutContext = createContext<PhoneLayout>('cards');

interface TableProps {
  columns: string[];
  phone?: PhoneLayout;
  /** Columns left out below the sm breakpoint; their cells are `wide`. */
  wideOnly?: string[];
  children: ReactNode;
}

/** A compact table; the last column is right-aligned for row actions. */
export function Table({ columns, phone = 'cards', wideOnly = [], children }: TableProps) {
  const cards = phone === 'cards';
  return (
    <div className="overflow-x-auto">
      <table className={`min-w-full text-sm ${cards ? 'max-sm:block' : ''}`}>
        <thead
          className={`bg-slate-50 text-left text-xs font-medium tracking-wide text-slate-500 uppercase ${cards ? 'max-sm:sr-only' : ''}`}
        >
          <tr>
            {columns.map((column, index) => (
              <th
                key={column || index}
                scope="col"
                className={`px-6 py-2.5 font-medium max-sm:px-3 ${index === columns.length - 1 ? 'text-right' : ''} ${wideOnly.includes(column) ? 'max-sm:hidden' : ''}`}
              >
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody
          className={`divide-y divide-slate-100 ${cards ? 'max-sm:block max-sm:*:block max-sm:*:px-4 max-sm:*:py-3' : ''}`}
        >
          <PhoneLayoutContext value={phone}>{children}</PhoneLayoutContext>
        </tbody>
      </table>
    </div>
  );
}

const CARD_LINE = 'max-sm:block max-sm:px-0 max-sm:py-1 max-sm:whitespace-normal';
const CARD_LABELLED_LINE =
  'max-sm:flex max-sm:items-center max-sm:justify-between max-sm:gap-4 max-sm:px-0 max-sm:py-1 max-sm:before:text-xs max-sm:before:font-medium max-sm:before:text-slate-500 max-sm:before:content-[attr(data-label)]';

interface CellProps {
  children: ReactNode;
  className?: string;
  /** Its column's name, shown before the value when the row is a card. */
  label?: string;
  /** Left out below the sm breakpoint (its column is in the table's `wideOnly`). */
  wide?: boolean;
}

export function Cell({ children, className = '', label, wide = false }: CellProps) {
  const phone = use(PhoneLayoutContext);
  const narrow = wide
    ? 'max-sm:hidden'
    : phone === 'columns'
      ? 'max-sm:px-3'
      : label
        ? CARD_LABELLED_LINE
        : CARD_LINE;
  return (
    <td data-label={label} className={`px-6 py-3 whitespace-nowrap text-slate-700 ${narrow} ${className}`}>
      {children}
    </td>
  );
}

/** A row spanning the table: loading, empty or error text. */
export function TableMessage({ columns, children }: { columns: number; children: ReactNode }) {
  const phone = use(PhoneLayoutContext);
  return (
    <tr>
      <td
        colSpan={columns}
        className={`px-6 py-10 text-center text-sm text-slate-500 ${phone === 'cards' ? 'max-sm:block max-sm:px-0' : 'max-sm:px-4'}`}
      >
        {children}
      </td>
    </tr>
  );
}
