import {
  createEntrypointMutation,
  deleteEntrypointMutation,
  updateEntrypointMutation,
  type EntrypointDto,
  type WebhookDetailDto,
} from '@webhooker/api-client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { Badge } from '../../components/Badge';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { CodeBlock } from '../../components/CodeBlock';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { CopyButton } from '../../components/CopyButton';
import { Dialog, DialogActions } from '../../components/Dialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { TextField } from '../../components/Field';
import { RelativeTime } from '../../components/RelativeTime';
import { Switch } from '../../components/Switch';
import { plural } from '../../lib/format';
import { errorMessage, fieldError, formError } from '../../lib/problem';
import { invalidateEntrypoints, verificationPresetsOptions } from '../../lib/queries';
import { DedupDialog, describeDedup } from './DedupDialog';
import { RejectionsDialog } from './RejectionsDialog';
import { curlExample, describeScheme, verificationLabel } from './verification';
import { VerificationDialog } from './VerificationDialog';

/** A dialog about one entrypoint, by id: it shows the entrypoint as the webhook's latest data has it. */
type OpenDialog = { kind: 'verification' | 'rejections' | 'dedup' | 'deactivate'; id: string };

/** The webhook's entrypoint URLs, to give to senders, with how each verifies them and a curl example. */
export function EntrypointsCard({ webhook }: { webhook: WebhookDetailDto }) {
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<EntrypointDto>();
  const [dialog, setDialog] = useState<OpenDialog>();
  const firstActive = webhook.entrypoints.find((entrypoint) => entrypoint.active);
  const open = webhook.entrypoints.find((entrypoint) => entrypoint.id === dialog?.id);

  return (
    <Card
      title="Entrypoints"
      description="Senders POST (or PUT, PATCH) their webhooks to these URLs. An inactive entrypoint answers 410 Gone."
      action={<Button onClick={() => setAdding(true)}>Add entrypoint</Button>}
      flush
    >
      <ul className="divide-y divide-slate-100">
        {webhook.entrypoints.length === 0 && (
          <li className="px-4 py-8 text-center text-sm text-slate-500 sm:px-6">
            No entrypoints: this webhook receives nothing. Add one to get a URL.
          </li>
        )}
        {webhook.entrypoints.map((entrypoint) => (
          <EntrypointItem
            key={entrypoint.id}
            entrypoint={entrypoint}
            onOpen={(kind) => setDialog({ kind, id: entrypoint.id })}
            onDelete={() => setDeleting(entrypoint)}
          />
        ))}
      </ul>
      {firstActive && (
        <div className="space-y-2 border-t border-slate-100 bg-slate-50/60 px-4 py-5 sm:px-6">
          <CodeBlock label="Send a test event" code={curlExample(firstActive)} />
          {firstActive.verification.method === 'hmac' && (
            <p className="text-xs text-slate-500">
              Refused until &lt;signature&gt; is what the sender computes.{' '}
              {describeScheme(firstActive.verification)}
            </p>
          )}
        </div>
      )}
      {adding && <AddEntrypointDialog webhookId={webhook.id} onClose={() => setAdding(false)} />}
      {deleting && <DeleteEntrypointDialog entrypoint={deleting} onClose={() => setDeleting(undefined)} />}
      {open && dialog?.kind === 'verification' && (
        <VerificationDialog entrypoint={open} onClose={() => setDialog(undefined)} />
      )}
      {open && dialog?.kind === 'rejections' && (
        <RejectionsDialog entrypoint={open} onClose={() => setDialog(undefined)} />
      )}
      {open && dialog?.kind === 'dedup' && (
        <DedupDialog entrypoint={open} onClose={() => setDialog(undefined)} />
      )}
      {open && dialog?.kind === 'deactivate' && (
        <DeactivateEntrypointDialog entrypoint={open} onClose={() => setDialog(undefined)} />
      )}
    </Card>
  );
}

interface EntrypointItemProps {
  entrypoint: EntrypointDto;
  onOpen: (kind: OpenDialog['kind']) => void;
  onDelete: () => void;
}

function EntrypointItem({ entrypoint, onOpen, onDelete }: EntrypointItemProps) {
  const queryClient = useQueryClient();
  const activate = useMutation({
    ...updateEntrypointMutation(),
    onSuccess: () => {
      toast.success('Entrypoint active: it accepts events again');
      return invalidateEntrypoints(queryClient, entrypoint.webhookId);
    },
  });
  const presets = useQuery(verificationPresetsOptions());
  const { active, verification, rejectedCount, dedup, duplicateCount } = entrypoint;
  const name = entrypoint.description || entrypoint.url;
  const verified = verification.method !== 'none';
  const [current, previous] = verification.secrets;

  return (
    <li
      className="flex flex-wrap items-center gap-x-6 gap-y-3 px-4 py-4 sm:px-6"
      aria-label={`Entrypoint ${name}`}
    >
      <div className="min-w-0 flex-1 max-sm:basis-full">
        <div className="flex items-center gap-2">
          <code
            aria-label="Entrypoint URL"
            className={`min-w-0 rounded-md bg-slate-50 px-2 py-1 font-mono text-sm break-all ring-1 ring-slate-200 ring-inset ${active ? 'text-slate-900' : 'text-slate-400 line-through'}`}
          >
            {entrypoint.url}
          </code>
          <CopyButton text={entrypoint.url} />
        </div>
        <p className="mt-2 flex flex-wrap items-center gap-2 text-xs text-slate-500">
          {active ? <Badge tone="green">active</Badge> : <Badge tone="grey">inactive</Badge>}
          <span className={entrypoint.description ? 'text-slate-700' : ''}>
            {entrypoint.description || 'No description'}
          </span>
          <span aria-hidden="true">·</span>
          <span>
            added <RelativeTime value={entrypoint.createdAt} />
          </span>
        </p>
        <p className="mt-2 flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-slate-500">
          <Badge tone={verified ? 'primary' : 'amber'} title={describeScheme(verification)}>
            {verificationLabel(verification, presets.data)}
          </Badge>
          {verified ? (
            <span>
              secret <span className="font-mono text-slate-700">{current?.hint}</span>
              {previous?.expiresAt && (
                <>
                  {' '}
                  (and <span className="font-mono text-slate-700">{previous.hint}</span> until{' '}
                  <RelativeTime value={previous.expiresAt} />)
                </>
              )}
            </span>
          ) : (
            <span>Anyone with the URL can send events: set a verification to refuse forgeries.</span>
          )}
          {(verified || rejectedCount > 0) && (
            <>
              <span aria-hidden="true">·</span>
              <span className={rejectedCount > 0 ? 'font-medium text-slate-700' : ''}>
                {plural(rejectedCount, 'rejected request')}
              </span>
            </>
          )}
        </p>
        <p className="mt-2 flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-slate-500">
          {dedup ? (
            <>
              <Badge tone="primary">Duplicates dropped</Badge>
              <span>{describeDedup(dedup)}</span>
            </>
          ) : (
            <span>Duplicates are delivered like any event.</span>
          )}
          {(dedup || duplicateCount > 0) && (
            <>
              <span aria-hidden="true">·</span>
              <span className={duplicateCount > 0 ? 'font-medium text-slate-700' : ''}>
                {plural(duplicateCount, 'duplicate')}
              </span>
            </>
          )}
        </p>
        {activate.isError && <p className="mt-2 text-xs text-red-600">{errorMessage(activate.error)}</p>}
      </div>
      <div className="flex flex-wrap items-center gap-1 max-sm:-mx-3">
        <Button size="sm" variant="ghost" onClick={() => onOpen('verification')}>
          Verification
        </Button>
        <Button size="sm" variant="ghost" onClick={() => onOpen('rejections')}>
          Recent rejections
        </Button>
        <Button size="sm" variant="ghost" onClick={() => onOpen('dedup')}>
          Duplicates
        </Button>
        <span className="mx-2 inline-flex">
          <Switch
            checked={active}
            label={`Receive on ${name}`}
            disabled={activate.isPending}
            onChange={(checked) =>
              checked
                ? activate.mutate({ path: { id: entrypoint.id }, body: { active: true } })
                : onOpen('deactivate')
            }
          />
        </span>
        <Button size="sm" variant="ghost-danger" aria-label={`Delete entrypoint ${name}`} onClick={onDelete}>
          Delete
        </Button>
      </div>
    </li>
  );
}

function AddEntrypointDialog({ webhookId, onClose }: { webhookId: string; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [description, setDescription] = useState('');
  const create = useMutation({
    ...createEntrypointMutation(),
    onSuccess: async () => {
      toast.success('Entrypoint added');
      await invalidateEntrypoints(queryClient, webhookId);
      onClose();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ path: { webhookId }, body: { description } });
  };
  return (
    <Dialog
      title="Add entrypoint"
      description="A new URL for the same webhook: give each sender its own, to turn one off without the others."
      onClose={onClose}
    >
      <form onSubmit={submit} className="space-y-4">
        <TextField
          label="Description"
          hint="Optional: what sends to it, e.g. “GitHub org”."
          data-autofocus
          maxLength={500}
          value={description}
          onChange={(event) => setDescription(event.target.value)}
          error={fieldError(create.error, 'description')}
        />
        <ErrorAlert message={formError(create.error)} />
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={create.isPending}>
            {create.isPending ? 'Adding…' : 'Add entrypoint'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function DeleteEntrypointDialog({ entrypoint, onClose }: { entrypoint: EntrypointDto; onClose: () => void }) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    ...deleteEntrypointMutation(),
    onSuccess: async () => {
      toast.success('Entrypoint deleted');
      await invalidateEntrypoints(queryClient, entrypoint.webhookId);
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title="Delete entrypoint?"
      confirmLabel="Delete entrypoint"
      destructive
      pending={remove.isPending}
      error={remove.isError ? errorMessage(remove.error) : undefined}
      onConfirm={() => remove.mutate({ path: { id: entrypoint.id } })}
      onClose={onClose}
    >
      <p className="font-mono text-xs break-all text-slate-900">{entrypoint.url}</p>
      <p>
        It answers <strong className="font-medium text-slate-900">410 Gone</strong> from now on. Events it
        already received stay in the event log. This cannot be undone: to pause it, deactivate it instead.
      </p>
    </ConfirmDialog>
  );
}

function DeactivateEntrypointDialog({
  entrypoint,
  onClose,
}: {
  entrypoint: EntrypointDto;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const deactivate = useMutation({
    ...updateEntrypointMutation(),
    onSuccess: async () => {
      toast.success('Entrypoint inactive: it answers 410 Gone');
      await invalidateEntrypoints(queryClient, entrypoint.webhookId);
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title="Deactivate entrypoint?"
      confirmLabel="Deactivate"
      destructive
      pending={deactivate.isPending}
      error={deactivate.isError ? errorMessage(deactivate.error) : undefined}
      onConfirm={() => deactivate.mutate({ path: { id: entrypoint.id }, body: { active: false } })}
      onClose={onClose}
    >
      <p className="font-mono text-xs break-all text-slate-900">{entrypoint.url}</p>
      <p>
        It answers <strong className="font-medium text-slate-900">410 Gone</strong> until you activate it
        again: what senders post meanwhile is refused, and most senders do not retry a 410.
      </p>
    </ConfirmDialog>
  );
}
