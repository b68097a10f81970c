import { getMeOptions } from '@webhooker/api-client';
import { useQuery } from '@tanstack/react-query';
import { Navigate, Outlet, useLocation } from 'react-router';
import { Button } from '../components/Button';
import { ErrorAlert } from '../components/ErrorAlert';
import { errorMessage, hasStatus } from '../lib/problem';
import { SessionContext } from '../lib/session';
import { FullPageMessage } from './FullPageMessage';

/** Renders the routes below it for a logged-in user; sends anyone else to login, then back here. */
export function RequireSession() {
  const location = useLocation();
  const me = useQuery(getMeOptions());

  if (hasStatus(me.error, 401)) {
    const next = `${location.pathname}${location.search}`;
    const search = next === '/' ? '' : `?${new URLSearchParams({ next })}`;
    return <Navigate to={`/login${search}`} replace />;
  }
  if (me.data) {
    return (
      <SessionContext value={me.data}>
        <Outlet />
      </SessionContext>
    );
  }
  if (me.isError) {
    return (
      <FullPageMessage>
        <div className="space-y-3 text-center">
          <ErrorAlert message={errorMessage(me.error)} />
          <Button onClick={() => me.refetch()}>Try again</Button>
        </div>
      </FullPageMessage>
    );
  }
  return <FullPageMessage>Loading…</FullPageMessage>;
}
