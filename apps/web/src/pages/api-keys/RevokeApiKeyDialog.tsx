import { listApiKeysQueryKey, revokeApiKeyMutation, type ApiKeyDto } from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { toast } from 'sonner';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { errorMessage } from '../../lib/problem';

export function RevokeApiKeyDialog({ apiKey, onClose }: { apiKey: ApiKeyDto; onClose: () => void }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    ...revokeApiKeyMutation(),
    onSuccess: async () => {
      toast.success(`API key “${apiKey.name}” revoked`);
      await queryClient.invalidateQueries({ queryKey: listApiKeysQueryKey() });
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title="Revoke API key?"
      confirmLabel="Revoke"
      destructive
      pending={revoke.isPending}
      error={revoke.isError ? errorMessage(revoke.error) : undefined}
      onConfirm={() => revoke.mutate({ path: { id: apiKey.id } })}
      onClose={onClose}
    >
      <p>
        <strong className="font-medium text-slate-900">{apiKey.name}</strong> ({apiKey.prefix}…) stops working
        at once. Anything still using it gets 401 Unauthorized. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
