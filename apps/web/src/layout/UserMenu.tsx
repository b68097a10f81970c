import { useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { RoleBadge } from '../components/RoleBadge';
import { errorMessage } from '../lib/problem';
import { useSession } from '../lib/session';
import { useLogout } from './useLogout';

/** The first letter of the user's name in a circle. */
export function UserAvatar({ username }: { username: string }) {
  return (
    <span
      aria-hidden="true"
      className="flex size-8 shrink-0 items-center justify-center rounded-full bg-primary-100 text-sm font-semibold text-primary-700 uppercase"
    >
      {username.charAt(0)}
    </span>
  );
}

/** The logged-in user's name; opens to Account and Log out. On phones the menu of TopNav has them. */
export function UserMenu() {
  const { user } = useSession();
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const logout = useLogout();

  useEffect(() => {
    if (!open) return;
    const closeOutside = (event: MouseEvent) => {
      if (!ref.current?.contains(event.target as Node)) setOpen(false);
    };
    const closeOnEscape = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', closeOutside);
    document.addEventListener('keydown', closeOnEscape);
    return () => {
      document.removeEventListener('mousedown', closeOutside);
      document.removeEventListener('keydown', closeOnEscape);
    };
  }, [open]);

  return (
    <div ref={ref} className="relative">
      <button
        type="button"
        aria-label={`User menu (${user.username})`}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen(!open)}
        className="flex items-center gap-2 rounded-full py-1 pr-3 pl-1 text-sm font-medium text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-primary-500"
      >
        <UserAvatar username={user.username} />
        {user.username}
      </button>
      {open && (
        <div
          id={panelId}
          className="absolute right-0 z-10 mt-2 w-56 rounded-xl bg-white py-2 shadow-lg ring-1 ring-slate-900/10"
        >
          <div className="border-b border-slate-100 px-4 pb-3">
            <p className="truncate text-sm font-medium text-slate-900">{user.username}</p>
            <p className="mt-1">
              <RoleBadge role={user.role} />
            </p>
          </div>
          <div className="pt-2">
            <Link
              to="/account"
              onClick={() => setOpen(false)}
              className="block px-4 py-2 text-sm text-slate-700 hover:bg-slate-50"
            >
              Account
            </Link>
            <button
              type="button"
              onClick={() => logout.mutate({})}
              disabled={logout.isPending}
              className="block w-full px-4 py-2 text-left text-sm text-slate-700 hover:bg-slate-50"
            >
              Log out
            </button>
            {logout.isError && <p className="px-4 py-2 text-xs text-red-600">{errorMessage(logout.error)}</p>}
          </div>
        </div>
      )}
    </div>
  );
}
