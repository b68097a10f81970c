import {
  createAlertSubscriptionMutation,
  updateAlertSubscriptionMutation,
  type AlertSubscriptionDto,
  type AlertSubscriptionType,
  type CreatedAlertSubscriptionDto,
  type OperationalEventType,
} from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { Button } from '../../components/Button';
import { Dialog, DialogActions } from '../../components/Dialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { SelectField, TextField } from '../../components/Field';
import { SecretValue } from '../../components/SecretValue';
import { fieldError, formError } from '../../lib/problem';
import { invalidateAlertSubscriptions } from '../../lib/queries';
import { SigningSecretHelp } from '../webhooks/SigningSecretHelp';
import { EVENT_TYPES } from './eventTypes';

const KINDS: { value: AlertSubscriptionType; label: string }[] = [
  { value: 'http', label: 'URL: a signed POST to a URL of yours' },
  { value: 'log', label: 'Log: one line in the server log' },
];

interface SubscriptionFormDialogProps {
  /** The subscription to edit; without it, the dialog creates one. */
  subscription?: AlertSubscriptionDto;
  onClose: () => void;
}

/** Subscribes a URL or the log to operational events (showing a URL's signing secret once), or edits one. */
export function SubscriptionFormDialog({ subscription, onClose }: SubscriptionFormDialogProps) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(subscription?.name ?? '');
  const [type, setType] = useState<AlertSubscriptionType>(subscription?.type === 'log' ? 'log' : 'http');
  const [url, setUrl] = useState(subscription?.http?.url ?? '');
  const [eventTypes, setEventTypes] = useState<ReadonlySet<OperationalEventType>>(
    () => new Set(subscription?.eventTypes ?? ['target.disabled', 'delivery.failed']),
  );
  const [noEventTypes, setNoEventTypes] = useState(false);
  const errorId = useId();

  const onSuccess = async (saved: AlertSubscriptionDto | CreatedAlertSubscriptionDto) => {
    await invalidateAlertSubscriptions(queryClient);
    if ('signingSecret' in saved && saved.signingSecret) return;
    toast.success(`Subscription “${saved.name}” ${subscription ? 'saved' : 'created'}`);
    onClose();
  };
  const create = useMutation({ ...createAlertSubscriptionMutation(), onSuccess });
  const update = useMutation({ ...updateAlertSubscriptionMutation(), onSuccess });
  const save = subscription ? update : create;
  const eventTypesError = noEventTypes
    ? 'Choose at least one event to be told about.'
    : fieldError(save.error, 'eventTypes', 'The events');

  if (create.data?.signingSecret) {
    return (
      <Dialog
        key="created"
        size="wide"
        title="Subscription created"
        description={`Alerts now go to “${create.data.name}”, signed with this secret.`}
        onClose={onClose}
      >
        <div className="space-y-5">
          <SecretValue label="Signing secret" value={create.data.signingSecret} />
          <SigningSecretHelp />
        </div>
        <DialogActions>
          <Button variant="primary" data-autofocus onClick={onClose}>
            Done
          </Button>
        </DialogActions>
      </Dialog>
    );
  }

  const toggle = (eventType: OperationalEventType, checked: boolean) => {
    const next = new Set(eventTypes);
    if (checked) next.add(eventType);
    else next.delete(eventType);
    setEventTypes(next);
    setNoEventTypes(false);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (eventTypes.size === 0) {
      setNoEventTypes(true);
      return;
    }
    // In the form's order, not the order of clicks.
    const chosen = EVENT_TYPES.map((info) => info.type).filter((eventType) => eventTypes.has(eventType));
    const http = type === 'http' ? { url } : undefined;
    if (subscription) {
      update.mutate({ path: { id: subscription.id }, body: { name, eventTypes: chosen, http } });
    } else {
      create.mutate({ body: { name, type, eventTypes: chosen, http } });
    }
  };

  return (
    <Dialog
      key="form"
      size="wide"
      title={subscription ? `Edit ${subscription.name}` : 'Add subscription'}
      description="Be told when something goes wrong with your webhooks."
      onClose={onClose}
    >
      <form onSubmit={submit} className="space-y-4">
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Name"
            hint="E.g. who is told: on-call, the team chat."
            data-autofocus
            required
            maxLength={100}
            value={name}
            onChange={(event) => setName(event.target.value)}
            error={fieldError(save.error, 'name', 'The name')}
          />
          <SelectField
            label="Send to"
            hint={subscription ? 'Where alerts go cannot change.' : undefined}
            disabled={Boolean(subscription)}
            value={type}
            onChange={(event) => setType(event.target.value as AlertSubscriptionType)}
            error={fieldError(save.error, 'type', 'Where alerts go')}
          >
            {KINDS.map((kind) => (
              <option key={kind.value} value={kind.value}>
                {kind.label}
              </option>
            ))}
          </SelectField>
        </div>
        {type === 'http' && (
          <TextField
            label="URL"
            hint="Each alert is POSTed here as JSON, with retries, signed like any target."
            type="url"
            required
            placeholder="https://ops.example.com/hooks"
            value={url}
            onChange={(event) => setUrl(event.target.value)}
            error={fieldError(save.error, 'http.url', 'The URL') ?? fieldError(save.error, 'http')}
          />
        )}
        <fieldset aria-describedby={eventTypesError ? errorId : undefined}>
          <legend className="text-sm font-medium text-slate-700">Events</legend>
          <ul className="mt-2 divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200">
            {EVENT_TYPES.map((info) => (
              <li key={info.type}>
                <label className="flex cursor-pointer items-start gap-3 px-3 py-2.5 hover:bg-slate-50">
                  <input
                    type="checkbox"
                    checked={eventTypes.has(info.type)}
                    onChange={(event) => toggle(info.type, event.target.checked)}
                    className="mt-0.5 size-4 shrink-0 rounded border-slate-300 accent-primary-500"
                  />
                  <span className="min-w-0">
                    <span className="block font-mono text-xs font-semibold text-slate-800">{info.type}</span>
                    <span className="block text-xs text-slate-500">{info.explanation}</span>
                  </span>
                </label>
              </li>
            ))}
          </ul>
          {eventTypesError && (
            <p id={errorId} role="alert" className="mt-1.5 text-xs text-red-600">
              {eventTypesError}
            </p>
          )}
        </fieldset>
        <ErrorAlert message={formError(save.error)} />
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={save.isPending}>
            {subscription
              ? update.isPending
                ? 'Saving…'
                : 'Save'
              : create.isPending
                ? 'Adding…'
                : 'Add subscription'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
