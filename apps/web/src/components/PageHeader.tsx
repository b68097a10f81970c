import { useEffect, type ReactNode } from 'react';

interface PageHeaderProps {
  title: string;
  /** The browser tab's title when it says more than the heading ("Event log · My webhook"). */
  documentTitle?: string;
  description?: ReactNode;
  /** The page's primary action, shown on the right. */
  action?: ReactNode;
}

/** The page's title, also the browser tab's; its description; its primary action. */
export function PageHeader({ title, documentTitle = title, description, action }: PageHeaderProps) {
  useEffect(() => {
    document.title = `${documentTitle} · webhooker`;
  }, [documentTitle]);
  return (
    <div className="mb-6 flex flex-wrap items-center justify-between gap-4">
      <div className="min-w-0">
        <h1 className="text-2xl font-semibold tracking-tight break-words text-slate-900">{title}</h1>
        {description && <p className="mt-1 text-sm text-slate-500">{description}</p>}
      </div>
      {action}
    </div>
  );
}
