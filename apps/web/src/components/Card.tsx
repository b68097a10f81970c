import { useId, type ReactNode } from 'react';

interface CardProps {
  title?: string;
  description?: ReactNode;
  children: ReactNode;
  /** Lets a table run edge to edge. */
  flush?: boolean;
  /** A button or link on the right of the title. */
  action?: ReactNode;
}

/** A white card; with a title it is a region named by it. */
export function Card({ title, description, children, flush = false, action }: CardProps) {
  const titleId = useId();
  return (
    <section
      aria-labelledby={title ? titleId : undefined}
      className="overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-900/5"
    >
      {title && (
        <header className="flex flex-wrap items-center justify-between gap-4 border-b border-slate-100 px-4 py-4 sm:px-6">
          <div>
            <h2 id={titleId} className="text-base font-semibold text-slate-900">
              {title}
            </h2>
            {description && <p className="mt-1 text-sm text-slate-500">{description}</p>}
          </div>
          {action}
        </header>
      )}
      <div className={flush ? '' : 'px-4 py-5 sm:px-6'}>{children}</div>
    </section>
  );
}
