import {
  createWebhookMutation,
  getWebhookQueryKey,
  updateWebhookMutation,
  type WebhookDto,
} from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { toast } from 'sonner';
import { Button } from '../../components/Button';
import { Dialog, DialogActions } from '../../components/Dialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field, TextField } from '../../components/Field';
import { fieldError, formError } from '../../lib/problem';
import { invalidateWebhook } from '../../lib/queries';

const DEFAULT_RETENTION_DAYS = 30;

/** Creates a webhook (then opens it), or edits the one given. */
export function WebhookFormDialog({ webhook, onClose }: { webhook?: WebhookDto; onClose: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState(webhook?.name ?? '');
  const [description, setDescription] = useState(webhook?.description ?? '');
  const [retentionDays, setRetentionDays] = useState(
    String(webhook?.retentionDays ?? DEFAULT_RETENTION_DAYS),
  );
  const create = useMutation({
    ...createWebhookMutation(),
    onSuccess: async (created) => {
      toast.success(`Webhook “${created.name}” created`);
      queryClient.setQueryData(getWebhookQueryKey({ path: { id: created.id } }), created);
      await invalidateWebhook(queryClient, created.id);
      navigate(`/webhooks/${created.id}`);
    },
  });
  const update = useMutation({
    ...updateWebhookMutation(),
    onSuccess: async (updated) => {
      toast.success(`Webhook “${updated.name}” saved`);
      await invalidateWebhook(queryClient, updated.id);
      onClose();
    },
  });
  const save = webhook ? update : create;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = { name, description, retentionDays: Number(retentionDays) };
    if (webhook) update.mutate({ path: { id: webhook.id }, body });
    else create.mutate({ body });
  };

  return (
    <Dialog
      title={webhook ? 'Edit webhook' : 'Create webhook'}
      description={
        webhook
          ? undefined
          : 'A webhook receives events on its entrypoint URL and delivers them to its targets.'
      }
      onClose={onClose}
    >
      <form onSubmit={submit} className="space-y-4">
        <TextField
          label="Name"
          hint="What sends to it, e.g. “Stripe payments”."
          data-autofocus
          required
          maxLength={100}
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={fieldError(save.error, 'name')}
        />
        <Field label="Description" hint="Optional." error={fieldError(save.error, 'description')}>
          {(control) => (
            <textarea
              {...control}
              rows={2}
              maxLength={1000}
              value={description}
              onChange={(event) => setDescription(event.target.value)}
            />
          )}
        </Field>
        <TextField
          label="Retention (days)"
          hint="Events older than this are deleted, 1–3650 days."
          type="number"
          inputMode="numeric"
          required
          min={1}
          max={3650}
          step={1}
          value={retentionDays}
          onChange={(event) => setRetentionDays(event.target.value)}
          error={fieldError(save.error, 'retentionDays')}
        />
        <ErrorAlert message={formError(save.error)} />
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={save.isPending}>
            {webhook
              ? update.isPending
                ? 'Saving…'
                : 'Save'
              : create.isPending
                ? 'Creating…'
                : 'Create webhook'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
