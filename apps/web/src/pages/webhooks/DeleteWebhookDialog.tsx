import {
  deleteWebhookMutation,
  getWebhookQueryKey,
  listWebhooksQueryKey,
  type WebhookDto,
} from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { toast } from 'sonner';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { errorMessage } from '../../lib/problem';

export function DeleteWebhookDialog({ webhook, onClose }: { webhook: WebhookDto; onClose: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    ...deleteWebhookMutation(),
    onSuccess: () => {
      toast.success(`Webhook “${webhook.name}” deleted`);
      navigate('/webhooks', { replace: true });
      // Everything below the webhook (entrypoints, targets, events) is gone with it.
      queryClient.removeQueries({ queryKey: getWebhookQueryKey({ path: { id: webhook.id } }) });
      queryClient.removeQueries({ predicate: (query) => belongsTo(query.queryKey, webhook.id) });
      queryClient.invalidateQueries({ queryKey: listWebhooksQueryKey() });
    },
  });
  return (
    <ConfirmDialog
      title="Delete webhook?"
      confirmLabel="Delete webhook"
      destructive
      pending={remove.isPending}
      error={remove.isError ? errorMessage(remove.error) : undefined}
      onConfirm={() => remove.mutate({ path: { id: webhook.id } })}
      onClose={onClose}
    >
      <p>
        <strong className="font-medium text-slate-900">{webhook.name}</strong> is deleted with its entrypoints
        and targets. Its entrypoints answer <strong className="font-medium text-slate-900">410 Gone</strong>{' '}
        at once, and deliveries not yet done are cancelled.
      </p>
      <p>
        Its {webhook.eventCount === 1 ? 'event is' : `${webhook.eventCount.toLocaleString()} events are`}{' '}
        deleted in the background, with their deliveries and attempts. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}

/** The generated keys of a webhook's lists carry `path.webhookId`. */
function belongsTo(queryKey: readonly unknown[], webhookId: string): boolean {
  const [key] = queryKey as [{ path?: { webhookId?: string } } | undefined];
  return key?.path?.webhookId === webhookId;
}
