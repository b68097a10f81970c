import type { ReactNode } from 'react';

interface CardProps {
  title?: string;
  description?: ReactNode;
  children: ReactNode;
  /** Lets a table run edge to edge. */
  flush?: boolean;
}

export function Card({ title, description, children, flush = false }: CardProps) {
  return (
    <section className="overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-900/5">
      {title && (
        <header className="border-b border-slate-100 px-6 py-4">
          <h2 className="text-base font-semibold text-slate-900">{title}</h2>
          {description && <p className="mt-1 text-sm text-slate-500">{description}</p>}
        </header>
      )}
      <div className={flush ? '' : 'px-6 py-5'}>{children}</div>
    </section>
  );
}
