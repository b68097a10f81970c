import type { SessionDto } from '@webhooker/api-client';
import { createContext, useContext } from 'react';

/**
 * The logged-in session, provided by RequireSession. A context rather than the getMe query itself,
 * so the pages keep rendering while logout clears the query cache on the way to the login page.
 */
export const SessionContext = createContext<SessionDto | undefined>(undefined);

export function useSession(): SessionDto {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession() is only available under <RequireSession>');
  return session;
}

/** Where to go after login: a path inside the dashboard, never another site. */
export function safeNextPath(next: string | null): string {
  return next && /^\/(?![/\\])/.test(next) ? next : '/';
}
