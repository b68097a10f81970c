import {
  listUsersQueryKey,
  updateUserMutation,
  type UpdateUserDto,
  type UserDto,
} from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { toast } from 'sonner';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { errorMessage } from '../../lib/problem';

interface UpdateUserDialogProps {
  user: UserDto;
  change: UpdateUserDto;
  title: string;
  confirmLabel: string;
  destructive?: boolean;
  /** What the toast says once the change is made. */
  done: string;
  children: ReactNode;
  onClose: () => void;
}

/** Confirms, then applies one change (role, disabled) to a user. */
export function UpdateUserDialog({ user, change, done, onClose, ...confirm }: UpdateUserDialogProps) {
  const queryClient = useQueryClient();
  const update = useMutation({
    ...updateUserMutation(),
    onSuccess: async () => {
      toast.success(done);
      await queryClient.invalidateQueries({ queryKey: listUsersQueryKey() });
      onClose();
    },
  });
  return (
    <ConfirmDialog
      {...confirm}
      pending={update.isPending}
      error={update.isError ? errorMessage(update.error) : undefined}
      onConfirm={() => update.mutate({ path: { id: user.id }, body: change })}
      onClose={onClose}
    />
  );
}
