import { listUsersOptions } from '@webhooker/api-client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Badge } from '../components/Badge';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { PageHeader } from '../components/PageHeader';
import { RelativeTime } from '../components/RelativeTime';
import { RoleBadge } from '../components/RoleBadge';
import { Cell, Table, TableMessage } from '../components/Table';
import { errorMessage } from '../lib/problem';
import { useSession } from '../lib/session';
import { CreateUserDialog } from './users/CreateUserDialog';
import { UserActions } from './users/UserActions';

const COLUMNS = ['Username', 'Role', 'Status', 'Created', ''];

export function UsersPage() {
  const { user: me } = useSession();
  const users = useQuery(listUsersOptions());
  const [creating, setCreating] = useState(false);

  return (
    <>
      <PageHeader
        title="Users"
        description="Who can log in to the dashboard and call the API."
        action={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create user
          </Button>
        }
      />
      <Card flush>
        <Table columns={COLUMNS}>
          {users.isPending && <TableMessage columns={COLUMNS.length}>Loading…</TableMessage>}
          {users.isError && <TableMessage columns={COLUMNS.length}>{errorMessage(users.error)}</TableMessage>}
          {users.data?.items.map((user) => (
            <tr key={user.id}>
              <Cell className="font-medium text-slate-900">
                {user.username}
                {user.id === me.id && <span className="ml-2 text-xs font-normal text-slate-400">(you)</span>}
              </Cell>
              <Cell label="Role">
                <RoleBadge role={user.role} />
              </Cell>
              <Cell label="Status">
                {user.disabled ? <Badge tone="red">disabled</Badge> : <Badge tone="green">active</Badge>}
              </Cell>
              <Cell label="Created">
                <RelativeTime value={user.createdAt} />
              </Cell>
              <Cell className="text-right">{user.id !== me.id && <UserActions user={user} />}</Cell>
            </tr>
          ))}
        </Table>
        {users.data?.nextCursor && (
          <p className="border-t border-slate-100 px-4 py-3 text-xs text-slate-500 sm:px-6">
            Showing the {users.data.items.length} newest users.
          </p>
        )}
      </Card>
      {creating && <CreateUserDialog onClose={() => setCreating(false)} />}
    </>
  );
}
