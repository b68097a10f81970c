import { Outlet } from 'react-router';
import { Card } from '../components/Card';
import { PageHeader } from '../components/PageHeader';
import { useSession } from '../lib/session';

/** Renders the routes below it for admins only. */
export function RequireAdmin() {
  const { user } = useSession();
  if (user.role === 'admin') return <Outlet />;
  return (
    <>
      <PageHeader title="Not allowed" />
      <Card>
        <p className="text-sm text-slate-600">
          This page needs the admin role. Ask an admin if you need access.
        </p>
      </Card>
    </>
  );
}
