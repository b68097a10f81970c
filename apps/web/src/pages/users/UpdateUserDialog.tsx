import {
  listUsersQueryKey,
  updateUserMutation,
  type UpdateUserDto,
  type UserDto,
} from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { errorMessage } from '../../lib/problem';

interface UpdateUserDialogProps {
  user: UserDto;
  change: UpdateUserDto;
  title: string;
  confirmLabel: string;
  destructive?: boolean;
  children: ReactNode;
  onClose: () => void;
}

/** Confirms, then applies one change (role, disabled) to a user. */
export function UpdateUserDialog({ user, change, onClose, ...confirm }: UpdateUserDialogProps) {
  const queryClient = useQueryClient();
  const update = useMutation({
    ...updateUserMutation(),
    onSuccess: async () => {
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
