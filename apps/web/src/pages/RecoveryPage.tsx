import {
  cancelDeliveriesMutation,
  listBulkOperationsOptions,
  replayDeliveriesMutation,
  type BulkOperationDto,
  type CancelFilterDto,
  type DeliveryStatus,
  type ReplayFilterDto,
  type TargetDto,
} from '@webhooker/api-client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { Badge, type BadgeTone } from '../components/Badge';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorAlert } from '../components/ErrorAlert';
import { SelectField, TextField } from '../components/Field';
import { RelativeTime } from '../components/RelativeTime';
import { Cell, Table, TableMessage } from '../components/Table';
import { plural } from '../lib/format';
import { errorMessage, fieldError } from '../lib/problem';
import { BULK_OPERATION_REFRESH_MS, invalidateBulkOperations, targetsOptions } from '../lib/queries';
import { useWebhook } from './webhooks/WebhookLayout';

type Kind = 'replay' | 'cancel';

/** The statuses each kind of operation can select, and what they mean to an admin. */
const STATUSES: Record<Kind, { status: DeliveryStatus; label: string }[]> = {
  replay: [
    { status: 'failed', label: 'Failed (used up their retries)' },
    { status: 'cancelled', label: 'Cancelled' },
    { status: 'paused', label: 'Paused (waiting for their target)' },
  ],
  cancel: [
    { status: 'pending', label: 'Pending (not tried yet)' },
    { status: 'retrying', label: 'Retrying' },
    { status: 'paused', label: 'Paused (waiting for their target)' },
  ],
};

const STATE_TONES: Record<BulkOperationDto['state'], BadgeTone> = {
  running: 'amber',
  done: 'green',
  failed: 'red',
};

interface Filter {
  kind: Kind;
  status: DeliveryStatus[];
  targetId: string;
  since: string;
  until: string;
}

/** A webhook's bulk recovery: replay or cancel its deliveries by filter, and the operations' progress. */
export function RecoveryPage() {
  const webhook = useWebhook();
  const targets = useQuery(targetsOptions(webhook.id));
  const [filter, setFilter] = useState<Filter>({
    kind: 'replay',
    status: ['failed'],
    targetId: '',
    since: '',
    until: '',
  });
  const [confirming, setConfirming] = useState(false);
  const queryClient = useQueryClient();
  const onSuccess = (operation: BulkOperationDto) => {
    toast.success(
      `${operation.kind === 'replay' ? 'Replaying' : 'Cancelling'} ${plural(operation.total, 'delivery', 'deliveries')}`,
      { description: 'Progress is under Bulk operations.' },
    );
    setConfirming(false);
    return invalidateBulkOperations(queryClient, webhook.id);
  };
  const replay = useMutation({ ...replayDeliveriesMutation(), onSuccess });
  const cancel = useMutation({ ...cancelDeliveriesMutation(), onSuccess });
  const mutation = filter.kind === 'replay' ? replay : cancel;

  const choose = (kind: Kind) => {
    replay.reset();
    cancel.reset();
    setFilter({ ...filter, kind, status: [STATUSES[kind][0]!.status] });
  };
  // A changed choice of statuses takes away the error about the one sent.
  const toggle = (status: DeliveryStatus, on: boolean) => {
    mutation.reset();
    setFilter({
      ...filter,
      status: on ? [...filter.status, status] : filter.status.filter((s) => s !== status),
    });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setConfirming(true);
  };
  const run = () => {
    const path = { webhookId: webhook.id };
    const scope = {
      ...(filter.targetId ? { targetId: filter.targetId } : {}),
      ...(filter.since ? { since: new Date(filter.since).toISOString() } : {}),
      ...(filter.until ? { until: new Date(filter.until).toISOString() } : {}),
    };
    if (filter.kind === 'replay') {
      replay.mutate({ path, body: { ...scope, status: filter.status as ReplayFilterDto['status'] } });
    } else {
      cancel.mutate({ path, body: { ...scope, status: filter.status as CancelFilterDto['status'] } });
    }
  };
  const targetName = (id?: string | null) =>
    id ? (targets.data?.items.find((t) => t.id === id)?.name ?? 'a deleted target') : 'every target';

  return (
    <div className="space-y-6">
      <Card
        title="Replay or cancel by filter"
        description="For a backlog after an outage, or a flood that should not go out. The work runs in the background; its progress is listed below."
      >
        <form onSubmit={submit} className="space-y-5">
          <fieldset>
            <legend className="mb-2 text-sm font-medium text-slate-700">Action</legend>
            <div className="flex flex-wrap gap-x-6 gap-y-2">
              {(['replay', 'cancel'] as const).map((kind) => (
                <label key={kind} className="flex items-center gap-2 text-sm text-slate-700 max-sm:min-h-10">
                  <input
                    type="radio"
                    name="kind"
                    checked={filter.kind === kind}
                    onChange={() => choose(kind)}
                    className="size-4 accent-primary-500"
                  />
                  {kind === 'replay' ? 'Replay (send again, with fresh retries)' : 'Cancel (never send)'}
                </label>
              ))}
            </div>
          </fieldset>
          <fieldset>
            <legend className="mb-2 text-sm font-medium text-slate-700">Deliveries that are</legend>
            <div className="flex flex-wrap gap-x-6 gap-y-2">
              {STATUSES[filter.kind].map(({ status, label }) => (
                <label
                  key={status}
                  className="flex items-center gap-2 text-sm text-slate-700 max-sm:min-h-10"
                >
                  <input
                    type="checkbox"
                    checked={filter.status.includes(status)}
                    onChange={(event) => toggle(status, event.target.checked)}
                    className="size-4 accent-primary-500"
                  />
                  {label}
                </label>
              ))}
            </div>
            {fieldError(mutation.error, 'status') && (
              <p className="mt-1.5 text-xs text-red-600">Choose at least one status.</p>
            )}
          </fieldset>
          <div className="grid gap-4 sm:grid-cols-3">
            <SelectField
              label="Target"
              value={filter.targetId}
              onChange={(event) => setFilter({ ...filter, targetId: event.target.value })}
              error={fieldError(mutation.error, 'targetId') && 'That target is not one of this webhook’s.'}
            >
              <option value="">Every target</option>
              {(targets.data?.items ?? []).map((target: TargetDto) => (
                <option key={target.id} value={target.id}>
                  {target.name}
                </option>
              ))}
            </SelectField>
            <TextField
              label="Received from"
              type="datetime-local"
              value={filter.since}
              onChange={(event) => setFilter({ ...filter, since: event.target.value })}
              error={fieldError(mutation.error, 'since') && 'Choose a start before the end.'}
            />
            <TextField
              label="Received before"
              type="datetime-local"
              value={filter.until}
              onChange={(event) => setFilter({ ...filter, until: event.target.value })}
              error={fieldError(mutation.error, 'until') && 'Choose an end after the start.'}
            />
          </div>
          <div className="flex justify-end">
            <Button
              type="submit"
              variant={filter.kind === 'cancel' ? 'danger' : 'primary'}
              disabled={filter.status.length === 0}
            >
              {filter.kind === 'replay' ? 'Replay…' : 'Cancel deliveries…'}
            </Button>
          </div>
        </form>
      </Card>
      <BulkOperationsCard webhookId={webhook.id} targetName={targetName} />
      {confirming && (
        <ConfirmDialog
          title={filter.kind === 'replay' ? 'Replay these deliveries?' : 'Cancel these deliveries?'}
          confirmLabel={filter.kind === 'replay' ? 'Replay' : 'Cancel deliveries'}
          destructive={filter.kind === 'cancel'}
          pending={mutation.isPending}
          error={
            mutation.isError && !fieldError(mutation.error, 'status')
              ? errorMessage(mutation.error)
              : undefined
          }
          onConfirm={run}
          onClose={() => setConfirming(false)}
        >
          <p>
            Every {filter.status.join(', ')} delivery to {targetName(filter.targetId)}
            {filter.since && <> received from {new Date(filter.since).toLocaleString()}</>}
            {filter.until && <> received before {new Date(filter.until).toLocaleString()}</>}{' '}
            {filter.kind === 'replay'
              ? 'is sent again with a fresh set of retries (those of a paused target wait for it).'
              : 'is cancelled and never sent. This cannot be undone, but cancelled deliveries can be replayed.'}
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

/** The webhook's bulk operations, newest first; refreshed while one is running. */
function BulkOperationsCard({
  webhookId,
  targetName,
}: {
  webhookId: string;
  targetName: (id?: string | null) => string;
}) {
  const operations = useQuery({
    ...listBulkOperationsOptions({ path: { webhookId }, query: { limit: 20 } }),
    refetchInterval: (query) =>
      query.state.data?.items.some((operation) => operation.state === 'running')
        ? BULK_OPERATION_REFRESH_MS
        : false,
  });
  const items = operations.data?.items ?? [];
  return (
    <Card title="Bulk operations" flush>
      <Table columns={['Operation', 'Filter', 'Progress', 'Started']}>
        {operations.isPending && <TableMessage columns={4}>Loading…</TableMessage>}
        {operations.isError && (
          <TableMessage columns={4}>
            <ErrorAlert message={errorMessage(operations.error)} />
          </TableMessage>
        )}
        {operations.isSuccess && items.length === 0 && (
          <TableMessage columns={4}>No bulk operations yet.</TableMessage>
        )}
        {items.map((operation) => (
          <tr key={operation.id}>
            <Cell label="Operation">
              <span className="inline-flex items-center gap-2">
                <span className="font-medium text-slate-900">
                  {operation.kind === 'replay' ? 'Replay' : 'Cancel'}
                </span>
                <Badge tone={STATE_TONES[operation.state]}>{operation.state}</Badge>
              </span>
            </Cell>
            <Cell label="Filter" className="whitespace-normal">
              {operation.filter.status.join(', ')} · {targetName(operation.filter.targetId)}
              {operation.error && <span className="block text-xs text-red-700">{operation.error}</span>}
            </Cell>
            <Cell label="Progress">
              <Progress done={operation.done} total={operation.total} />
            </Cell>
            <Cell label="Started" className="text-right">
              <RelativeTime value={operation.createdAt} />
            </Cell>
          </tr>
        ))}
      </Table>
    </Card>
  );
}

function Progress({ done, total }: { done: number; total: number }) {
  const percent = total === 0 ? 100 : Math.min(100, Math.round((done / total) * 100));
  return (
    <span className="inline-flex items-center gap-2">
      <span
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
        aria-label={`${done} of ${total}`}
        className="h-1.5 w-24 overflow-hidden rounded-full bg-slate-100"
      >
        <span className="block h-full rounded-full bg-primary-500" style={{ width: `${percent}%` }} />
      </span>
      <span className="text-xs text-slate-500">
        {done} of {plural(total, 'delivery', 'deliveries')}
      </span>
    </span>
  );
}
