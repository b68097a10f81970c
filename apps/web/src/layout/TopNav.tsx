import { useEffect, useId, useRef, useState } from 'react';
import { Link, NavLink, useLocation } from 'react-router';
import { Logo } from '../components/Logo';
import { RoleBadge } from '../components/RoleBadge';
import { errorMessage } from '../lib/problem';
import { useSession } from '../lib/session';
import { useLogout } from './useLogout';
import { UserAvatar, UserMenu } from './UserMenu';

interface NavEntry {
  to: string;
  label: string;
  end?: boolean;
  adminOnly?: boolean;
}

const ENTRIES: NavEntry[] = [
  { to: '/', label: 'Overview', end: true },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/events', label: 'Events' },
  { to: '/alerts', label: 'Alerts' },
  { to: '/api-keys', label: 'API keys' },
  { to: '/users', label: 'Users', adminOnly: true },
];

function navLinkClass({ isActive }: { isActive: boolean }): string {
  const state = isActive
    ? 'bg-primary-50 text-primary-700'
    : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900';
  return `rounded-lg px-3 py-2 text-sm font-medium transition-colors ${state}`;
}

/** A line of the phone menu: a whole-width tap target. */
function menuLinkClass({ isActive }: { isActive: boolean }): string {
  return `block ${navLinkClass({ isActive })} py-2.5`;
}

const MENU_ITEM =
  'block w-full rounded-lg px-3 py-2.5 text-left text-sm font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900';

/**
 * The white bar on top: the logo, the pages and the user menu; below the md breakpoint the pages
 * and the user's links fold into a menu button.
 */
export function TopNav() {
  const { user } = useSession();
  const location = useLocation();
  // The menu is open on the location where it was opened: any navigation closes it.
  const [openAt, setOpenAt] = useState<string>();
  const open = openAt === location.key;
  const close = () => setOpenAt(undefined);
  const panelId = useId();
  const headerRef = useRef<HTMLElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const logout = useLogout();
  const entries = ENTRIES.filter((entry) => !entry.adminOnly || user.role === 'admin');

  useEffect(() => {
    if (!open) return;
    const closeOutside = (event: MouseEvent) => {
      if (!headerRef.current?.contains(event.target as Node)) setOpenAt(undefined);
    };
    const closeOnEscape = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setOpenAt(undefined);
      buttonRef.current?.focus();
    };
    document.addEventListener('mousedown', closeOutside);
    document.addEventListener('keydown', closeOnEscape);
    return () => {
      document.removeEventListener('mousedown', closeOutside);
      document.removeEventListener('keydown', closeOnEscape);
    };
  }, [open]);

  return (
    <header ref={headerRef} className="border-b border-slate-200 bg-white shadow-sm">
      <div className="mx-auto flex h-16 max-w-6xl items-center gap-8 px-4 sm:px-6">
        <NavLink to="/" aria-label="webhooker home">
          <Logo />
        </NavLink>
        <nav aria-label="Main" className="hidden flex-1 items-center gap-1 md:flex">
          {entries.map((entry) => (
            <NavLink key={entry.to} to={entry.to} end={entry.end} className={navLinkClass}>
              {entry.label}
            </NavLink>
          ))}
        </nav>
        <div className="hidden md:block">
          <UserMenu />
        </div>
        <button
          ref={buttonRef}
          type="button"
          aria-label="Menu"
          aria-expanded={open}
          aria-controls={panelId}
          onClick={() => setOpenAt(open ? undefined : location.key)}
          className="-mr-2 ml-auto flex size-10 items-center justify-center rounded-lg text-slate-600 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-primary-500 md:hidden"
        >
          <svg
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            aria-hidden="true"
            className="size-6"
          >
            {open ? (
              <path strokeLinecap="round" d="M6 6l12 12M18 6L6 18" />
            ) : (
              <path strokeLinecap="round" d="M4 7h16M4 12h16M4 17h16" />
            )}
          </svg>
        </button>
      </div>
      {open && (
        <div id={panelId} className="border-t border-slate-100 px-4 pt-2 pb-4 md:hidden">
          <nav aria-label="Main" className="space-y-1">
            {entries.map((entry) => (
              <NavLink key={entry.to} to={entry.to} end={entry.end} onClick={close} className={menuLinkClass}>
                {entry.label}
              </NavLink>
            ))}
          </nav>
          <div className="mt-3 space-y-1 border-t border-slate-100 pt-3">
            <p className="flex items-center gap-3 px-3 pb-2">
              <UserAvatar username={user.username} />
              <span className="min-w-0 truncate text-sm font-medium text-slate-900">{user.username}</span>
              <RoleBadge role={user.role} />
            </p>
            <Link to="/account" onClick={close} className={MENU_ITEM}>
              Account
            </Link>
            <button
              type="button"
              onClick={() => logout.mutate({})}
              disabled={logout.isPending}
              className={MENU_ITEM}
            >
              Log out
            </button>
            {logout.isError && <p className="px-3 py-2 text-xs text-red-600">{errorMessage(logout.error)}</p>}
          </div>
        </div>
      )}
    </header>
  );
}
