import {
  updateEntrypointMutation,
  type DedupDto,
  type DedupSettingsDto,
  type EntrypointDto,
} from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { Button } from '../../components/Button';
import { Dialog, DialogActions } from '../../components/Dialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { TextField } from '../../components/Field';
import { formatDuration } from '../../lib/format';
import { fieldError, formError } from '../../lib/problem';
import { invalidateEntrypoints } from '../../lib/queries';

type KeySource = 'off' | 'header' | 'jsonPath';

/** Headers that senders use to name each delivery, offered as suggestions. */
const KNOWN_HEADERS = [
  'X-GitHub-Delivery',
  'webhook-id',
  'svix-id',
  'Idempotency-Key',
  'X-Shopify-Webhook-Id',
];
const DEFAULT_WINDOW_HOURS = 24;

/** "by the X-GitHub-Delivery header, for 24 h" — how an entrypoint recognises repeats. */
export function describeDedup(dedup: DedupDto): string {
  const key = dedup.header ? `the ${dedup.header} header` : `${dedup.jsonPath} in the body`;
  return `by ${key}, for ${formatDuration(dedup.windowSeconds * 1000)}`;
}

/** Turns an entrypoint's deduplication on (by a header or a JSON path, with a window) or off. */
export function DedupDialog({ entrypoint, onClose }: { entrypoint: EntrypointDto; onClose: () => void }) {
  const current = entrypoint.dedup;
  const [source, setSource] = useState<KeySource>(current ? (current.header ? 'header' : 'jsonPath') : 'off');
  const [header, setHeader] = useState(current?.header ?? '');
  const [jsonPath, setJsonPath] = useState(current?.jsonPath ?? '$.id');
  const [windowHours, setWindowHours] = useState(
    String(current ? +(current.windowSeconds / 3600).toFixed(3) : DEFAULT_WINDOW_HOURS),
  );
  const suggestions = useId();
  const queryClient = useQueryClient();
  const save = useMutation({
    ...updateEntrypointMutation(),
    onSuccess: async () => {
      toast.success('Duplicate detection saved');
      await invalidateEntrypoints(queryClient, entrypoint.webhookId);
      onClose();
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const windowSeconds = Math.round(Number(windowHours) * 3600);
    const dedup: DedupSettingsDto | null =
      source === 'off'
        ? null
        : {
            ...(source === 'header' ? { header: header.trim() } : { jsonPath: jsonPath.trim() }),
            windowSeconds,
          };
    save.mutate({ path: { id: entrypoint.id }, body: { dedup } });
  };
  const windowError = fieldError(save.error, 'dedup.windowSeconds');

  return (
    <Dialog
      title="Duplicates"
      description="Senders retry, so one webhook can arrive more than once. With a key, a repeat inside the window is answered with the first event's id and is not delivered again."
      onClose={onClose}
    >
      <form id="dedup-form" onSubmit={submit} className="space-y-5">
        <fieldset>
          <legend className="mb-2 text-sm font-medium text-slate-700">Recognise a repeat by</legend>
          <div className="space-y-2">
            {(
              [
                ['off', 'Nothing: every request becomes an event'],
                ['header', 'A request header the sender sets per delivery'],
                ['jsonPath', 'A value in the JSON body (an event id)'],
              ] as const
            ).map(([value, label]) => (
              <label key={value} className="flex items-center gap-2 text-sm text-slate-700 max-sm:min-h-10">
                <input
                  type="radio"
                  name="dedup-source"
                  checked={source === value}
                  onChange={() => setSource(value)}
                  className="size-4 accent-primary-500"
                />
                {label}
              </label>
            ))}
          </div>
        </fieldset>
        {source === 'header' && (
          <>
            <TextField
              label="Header"
              value={header}
              required
              list={suggestions}
              onChange={(event) => setHeader(event.target.value)}
              hint="GitHub: X-GitHub-Delivery; Standard Webhooks: webhook-id; Svix: svix-id."
              error={
                fieldError(save.error, 'dedup.header') && 'Give a header name (letters, digits and dashes).'
              }
            />
            <datalist id={suggestions}>
              {KNOWN_HEADERS.map((name) => (
                <option key={name} value={name} />
              ))}
            </datalist>
          </>
        )}
        {source === 'jsonPath' && (
          <TextField
            label="JSON path"
            value={jsonPath}
            required
            onChange={(event) => setJsonPath(event.target.value)}
            hint="$ then .name and [index] steps; Stripe's event id is $.id. A request without it becomes an event as usual."
            error={
              fieldError(save.error, 'dedup.jsonPath') &&
              'Write the path as $ followed by .name or [index] steps.'
            }
          />
        )}
        {source !== 'off' && (
          <TextField
            label="Window (hours)"
            type="number"
            min={1 / 60}
            max={720}
            step="any"
            value={windowHours}
            onChange={(event) => setWindowHours(event.target.value)}
            hint="How long a key is remembered after its first event: 1 minute to 30 days."
            error={windowError && 'Choose a window from 1 minute to 30 days.'}
          />
        )}
        <ErrorAlert message={formError(save.error)} />
      </form>
      <DialogActions>
        <Button data-autofocus onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" form="dedup-form" variant="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
