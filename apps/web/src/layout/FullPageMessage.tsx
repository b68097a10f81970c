import type { ReactNode } from 'react';

/** What shows instead of the app while the session is checked, or when that fails. */
export function FullPageMessage({ children }: { children: ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center px-6 text-sm text-slate-500">
      {children}
    </main>
  );
}
