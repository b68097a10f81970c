import type { ReactNode } from 'react';

/** A compact table; the last column is right-aligned for row actions. */
export function Table({ columns, children }: { columns: string[]; children: ReactNode }) {
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full text-sm">
        <thead className="bg-slate-50 text-left text-xs font-medium tracking-wide text-slate-500 uppercase">
          <tr>
            {columns.map((column, index) => (
              <th
                key={column || index}
                scope="col"
                className={`px-6 py-2.5 font-medium ${index === columns.length - 1 ? 'text-right' : ''}`}
              >
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">{children}</tbody>
      </table>
    </div>
  );
}

export function Cell({ children, className = '' }: { children: ReactNode; className?: string }) {
  return <td className={`px-6 py-3 whitespace-nowrap text-slate-700 ${className}`}>{children}</td>;
}

/** A row spanning the table: loading, empty or error text. */
export function TableMessage({ columns, children }: { columns: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={columns} className="px-6 py-10 text-center text-sm text-slate-500">
        {children}
      </td>
    </tr>
  );
}
