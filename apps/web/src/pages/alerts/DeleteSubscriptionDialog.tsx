import { deleteAlertSubscriptionMutation, type AlertSubscriptionDto } from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { toast } from 'sonner';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { errorMessage } from '../../lib/problem';
import { invalidateAlertSubscriptions } from '../../lib/queries';

export function DeleteSubscriptionDialog({
  subscription,
  onClose,
}: {
  subscription: AlertSubscriptionDto;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    ...deleteAlertSubscriptionMutation(),
    onSuccess: async () => {
      toast.success(`Subscription “${subscription.name}” deleted`);
      await invalidateAlertSubscriptions(queryClient);
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title="Delete subscription?"
      confirmLabel="Delete subscription"
      destructive
      pending={remove.isPending}
      error={remove.isError ? errorMessage(remove.error) : undefined}
      onConfirm={() => remove.mutate({ path: { id: subscription.id } })}
      onClose={onClose}
    >
      <p>
        <strong className="font-medium text-slate-900">{subscription.name}</strong> is told about nothing
        more; its alerts not yet sent are cancelled. This cannot be undone: to stop it for a while, switch it
        off instead.
      </p>
    </ConfirmDialog>
  );
}
