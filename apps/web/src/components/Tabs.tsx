import { NavLink } from 'react-router';

export interface Tab {
  to: string;
  label: string;
  /** Active only on this exact path (not below it). */
  end?: boolean;
}

function tabClass({ isActive }: { isActive: boolean }): string {
  const state = isActive
    ? 'border-primary-500 text-primary-700'
    : 'border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-800';
  return `-mb-px border-b-2 px-1 pb-3 text-sm font-medium transition-colors ${state}`;
}

/** Links between the pages of one thing, underlined under the page header. */
export function Tabs({ label, tabs }: { label: string; tabs: Tab[] }) {
  return (
    <nav aria-label={label} className="mb-6 flex gap-6 border-b border-slate-200">
      {tabs.map((tab) => (
        <NavLink key={tab.to} to={tab.to} end={tab.end} className={tabClass}>
          {tab.label}
        </NavLink>
      ))}
    </nav>
  );
}
