import { NavLink } from 'react-router';
import { Logo } from '../components/Logo';
import { useSession } from '../lib/session';
import { UserMenu } from './UserMenu';

function navLinkClass({ isActive }: { isActive: boolean }): string {
  const state = isActive
    ? 'bg-primary-50 text-primary-700'
    : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900';
  return `rounded-lg px-3 py-2 text-sm font-medium transition-colors ${state}`;
}

export function TopNav() {
  const { user } = useSession();
  return (
    <header className="border-b border-slate-200 bg-white shadow-sm">
      <div className="mx-auto flex h-16 max-w-6xl items-center gap-8 px-6">
        <NavLink to="/" aria-label="webhooker home">
          <Logo />
        </NavLink>
        <nav aria-label="Main" className="flex flex-1 items-center gap-1">
          <NavLink to="/" end className={navLinkClass}>
            Overview
          </NavLink>
          <NavLink to="/webhooks" className={navLinkClass}>
            Webhooks
          </NavLink>
          <NavLink to="/api-keys" className={navLinkClass}>
            API keys
          </NavLink>
          {user.role === 'admin' && (
            <NavLink to="/users" className={navLinkClass}>
              Users
            </NavLink>
          )}
        </nav>
        <UserMenu />
      </div>
    </header>
  );
}
