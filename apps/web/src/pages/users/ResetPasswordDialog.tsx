import { resetUserPasswordMutation, type UserDto } from '@webhooker/api-client';
import { useMutation } from '@tanstack/react-query';
import { Button } from '../../components/Button';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Dialog, DialogActions } from '../../components/Dialog';
import { SecretValue } from '../../components/SecretValue';
import { errorMessage } from '../../lib/problem';

/** Confirms, has the server generate a new password, and shows it once. */
export function ResetPasswordDialog({ user, onClose }: { user: UserDto; onClose: () => void }) {
  const reset = useMutation(resetUserPasswordMutation());

  if (reset.data?.password) {
    return (
      <Dialog
        title="Password reset"
        description={`Give ${user.username} this password; they can change it under Account.`}
        onClose={onClose}
      >
        <SecretValue label="New password" value={reset.data.password} />
        <DialogActions>
          <Button variant="primary" data-autofocus onClick={onClose}>
            Done
          </Button>
        </DialogActions>
      </Dialog>
    );
  }

  return (
    <ConfirmDialog
      title={`Reset the password of ${user.username}?`}
      confirmLabel="Reset password"
      destructive
      pending={reset.isPending}
      error={reset.isError ? errorMessage(reset.error) : undefined}
      onConfirm={() => reset.mutate({ path: { id: user.id }, body: {} })}
      onClose={onClose}
    >
      <p>
        A new password is generated and shown once. Their current password stops working and they are logged
        out.
      </p>
    </ConfirmDialog>
  );
}
