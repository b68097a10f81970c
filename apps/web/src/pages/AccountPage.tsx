import { Card } from '../components/Card';
import { PageHeader } from '../components/PageHeader';
import { RelativeTime } from '../components/RelativeTime';
import { RoleBadge } from '../components/RoleBadge';
import { useSession } from '../lib/session';
import { ChangePasswordForm } from './account/ChangePasswordForm';

export function AccountPage() {
  const { user } = useSession();
  return (
    <>
      <PageHeader title="Account" description="Your profile and password." />
      <div className="space-y-6">
        <Card title="Profile">
          <dl className="grid gap-4 text-sm sm:grid-cols-3">
            <div>
              <dt className="text-slate-500">Username</dt>
              <dd className="mt-1 font-medium text-slate-900">{user.username}</dd>
            </div>
            <div>
              <dt className="text-slate-500">Role</dt>
              <dd className="mt-1">
                <RoleBadge role={user.role} />
              </dd>
            </div>
            <div>
              <dt className="text-slate-500">Member since</dt>
              <dd className="mt-1 text-slate-900">
                <RelativeTime value={user.createdAt} />
              </dd>
            </div>
          </dl>
        </Card>
        <Card title="Change password" description="Every other session of yours ends when you change it.">
          <ChangePasswordForm username={user.username} />
        </Card>
      </div>
    </>
  );
}
