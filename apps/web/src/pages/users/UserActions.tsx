import { listUsersQueryKey, updateUserMutation, type UserDto } from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { toast } from 'sonner';
import { Button } from '../../components/Button';
import { errorMessage } from '../../lib/problem';
import { ResetPasswordDialog } from './ResetPasswordDialog';
import { UpdateUserDialog } from './UpdateUserDialog';

type OpenDialog = 'role' | 'disable' | 'reset-password';

/** The row actions of a user other than oneself. */
export function UserActions({ user }: { user: UserDto }) {
  const queryClient = useQueryClient();
  const [dialog, setDialog] = useState<OpenDialog>();
  const close = () => setDialog(undefined);
  const enable = useMutation({
    ...updateUserMutation(),
    onSuccess: () => {
      toast.success(`${user.username} enabled`);
      return queryClient.invalidateQueries({ queryKey: listUsersQueryKey() });
    },
  });
  const newRole = user.role === 'admin' ? 'member' : 'admin';

  return (
    <div className="flex flex-wrap items-center justify-end gap-1">
      {enable.isError && <span className="mr-2 text-xs text-red-600">{errorMessage(enable.error)}</span>}
      <Button size="sm" variant="ghost" onClick={() => setDialog('role')}>
        Make {newRole}
      </Button>
      {user.disabled ? (
        <Button
          size="sm"
          variant="ghost"
          disabled={enable.isPending}
          onClick={() => enable.mutate({ path: { id: user.id }, body: { disabled: false } })}
        >
          Enable
        </Button>
      ) : (
        <Button size="sm" variant="ghost-danger" onClick={() => setDialog('disable')}>
          Disable
        </Button>
      )}
      <Button size="sm" variant="ghost-danger" onClick={() => setDialog('reset-password')}>
        Reset password
      </Button>

      {dialog === 'role' && (
        <UpdateUserDialog
          user={user}
          change={{ role: newRole }}
          title={`Make ${user.username} ${newRole === 'admin' ? 'an admin' : 'a member'}?`}
          confirmLabel={`Make ${newRole}`}
          done={`${user.username} is now ${newRole === 'admin' ? 'an admin' : 'a member'}`}
          destructive={newRole === 'member'}
          onClose={close}
        >
          <p>
            {newRole === 'admin'
              ? 'Admins see every resource and manage users, including other admins.'
              : 'Members see and manage only their own resources; the Users page is closed to them.'}
          </p>
        </UpdateUserDialog>
      )}
      {dialog === 'disable' && (
        <UpdateUserDialog
          user={user}
          change={{ disabled: true }}
          title={`Disable ${user.username}?`}
          confirmLabel="Disable"
          done={`${user.username} disabled`}
          destructive
          onClose={close}
        >
          <p>
            They are logged out at once, cannot log in, and their API keys stop working until you enable them
            again.
          </p>
        </UpdateUserDialog>
      )}
      {dialog === 'reset-password' && <ResetPasswordDialog user={user} onClose={close} />}
    </div>
  );
}
