import {
  activateTargetMutation,
  deactivateTargetMutation,
  deleteTargetMutation,
  getStatsOptions,
  type StatsDto,
  type TargetDto,
  type WebhookDetailDto,
} from '@webhooker/api-client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { toast } from 'sonner';
import { Badge } from '../../components/Badge';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { formatDuration, formatRate, plural } from '../../lib/format';
import { errorMessage } from '../../lib/problem';
import {
  invalidateDeliveries,
  invalidatePausedTarget,
  invalidateTargets,
  STATS_REFRESH_MS,
  TARGET_HEALTH_REFRESH_MS,
  targetsOptions,
} from '../../lib/queries';
import { FailedDeliveriesDialog } from './FailedDeliveriesDialog';
import { SigningSecretsDialog } from './SigningSecretsDialog';
import { TargetFormDialog } from './TargetFormDialog';
import { ActiveBadge, CircuitBadge, PausedNote, TargetTypeBadge } from './TargetHealth';
import { TargetStatsLine } from './TargetStats';

/** The test send dialog edits a sample in CodeMirror: a chunk of its own, loaded when it is opened. */
const SendTestDialog = lazy(() => import('./routing/SendTestDialog'));

type OpenDialog = { kind: 'edit' | 'delete' | 'secrets' | 'failed' | 'pause' | 'test'; target: TargetDto };

/** Where the webhook's events go, with each target's health and actions. */
export function TargetsCard({ webhook }: { webhook: WebhookDetailDto }) {
  const targets = useQuery({ ...targetsOptions(webhook.id), refetchInterval: TARGET_HEALTH_REFRESH_MS });
  const stats = useQuery({
    ...getStatsOptions({ query: { webhookId: webhook.id, window: '24h' } }),
    refetchInterval: STATS_REFRESH_MS,
  });
  const [adding, setAdding] = useState(false);
  const [dialog, setDialog] = useState<OpenDialog>();
  const close = () => setDialog(undefined);

  return (
    <Card
      title="Targets"
      description="Every event is delivered to each target, in parallel, with retries; a paused target keeps its events until it is resumed."
      action={<Button onClick={() => setAdding(true)}>Add target</Button>}
      flush
    >
      <ul className="divide-y divide-slate-100">
        {targets.isPending && (
          <li className="px-4 py-8 text-center text-sm text-slate-500 sm:px-6">Loading…</li>
        )}
        {targets.isError && (
          <li className="px-4 py-8 text-center text-sm text-slate-500 sm:px-6">
            {errorMessage(targets.error)}
          </li>
        )}
        {targets.data?.items.length === 0 && (
          <li className="px-4 py-8 text-center text-sm text-slate-500 sm:px-6">
            No targets yet: events are stored but go nowhere. Add one to deliver them.
          </li>
        )}
        {targets.data?.items.map((target) => (
          <TargetItem
            key={target.id}
            target={target}
            stats={stats.data}
            onOpen={(kind) => setDialog({ kind, target })}
          />
        ))}
      </ul>
      {adding && <TargetFormDialog webhookId={webhook.id} onClose={() => setAdding(false)} />}
      {dialog?.kind === 'edit' && (
        <TargetFormDialog webhookId={webhook.id} target={dialog.target} onClose={close} />
      )}
      {dialog?.kind === 'delete' && <DeleteTargetDialog target={dialog.target} onClose={close} />}
      {dialog?.kind === 'pause' && <PauseTargetDialog target={dialog.target} onClose={close} />}
      {dialog?.kind === 'secrets' && <SigningSecretsDialog target={dialog.target} onClose={close} />}
      {dialog?.kind === 'failed' && <FailedDeliveriesDialog target={dialog.target} onClose={close} />}
      {dialog?.kind === 'test' && (
        <Suspense>
          <SendTestDialog target={dialog.target} onClose={close} />
        </Suspense>
      )}
    </Card>
  );
}

interface TargetItemProps {
  target: TargetDto;
  /** The webhook's statistics of the last 24 hours, once loaded. */
  stats: StatsDto | undefined;
  onOpen: (kind: OpenDialog['kind']) => void;
}

function TargetItem({ target, stats, onOpen }: TargetItemProps) {
  const queryClient = useQueryClient();
  const targetStats = stats?.targets.find((candidate) => candidate.id === target.id);
  const resume = useMutation({
    ...activateTargetMutation(),
    onSuccess: () => {
      toast.success(`Target “${target.name}” resumed`);
      return invalidatePausedTarget(queryClient, target.webhookId, target.id);
    },
  });

  return (
    <li
      className="flex flex-wrap items-start gap-x-6 gap-y-3 px-4 py-4 sm:px-6"
      aria-label={`Target ${target.name}`}
    >
      <div className="min-w-0 flex-1 max-sm:basis-full">
        <p className="flex flex-wrap items-center gap-2">
          <span className="font-medium text-slate-900">{target.name}</span>
          <TargetTypeBadge target={target} />
          <ActiveBadge target={target} />
          <CircuitBadge target={target} />
          {target.filter && (
            <Badge tone="primary" title="Only the events its filter matches are sent">
              filter
            </Badge>
          )}
          {target.transform && (
            <Badge tone="primary" title="Events are transformed by its JavaScript before they are sent">
              transform
            </Badge>
          )}
        </p>
        <TargetSummary target={target} />
        {stats && targetStats && <TargetStatsLine stats={stats} target={targetStats} />}
        <PausedNote target={target} />
        {resume.isError && <p className="mt-2 text-xs text-red-600">{errorMessage(resume.error)}</p>}
      </div>
      <div className="flex flex-wrap items-center justify-end gap-1 max-sm:-mx-3 max-sm:justify-start">
        <Button size="sm" variant="ghost" onClick={() => onOpen('test')}>
          Send test event
        </Button>
        <Button
          size="sm"
          variant="ghost"
          onClick={() => onOpen('failed')}
          title={
            targetStats
              ? `${plural(targetStats.failed, 'delivery', 'deliveries')} failed in the last 24 hours`
              : undefined
          }
        >
          Failed deliveries
          {targetStats && targetStats.failed > 0 && (
            <span
              aria-hidden="true"
              className="rounded-full bg-red-50 px-1.5 text-xs font-semibold text-red-700 ring-1 ring-red-600/20 ring-inset"
            >
              {targetStats.failed.toLocaleString()}
            </span>
          )}
        </Button>
        {target.type === 'http' && (
          <Button size="sm" variant="ghost" onClick={() => onOpen('secrets')}>
            Signing secrets
          </Button>
        )}
        <Button size="sm" variant="ghost" onClick={() => onOpen('edit')}>
          Edit
        </Button>
        {target.active ? (
          <Button size="sm" variant="ghost" onClick={() => onOpen('pause')}>
            Pause
          </Button>
        ) : (
          <Button
            size="sm"
            variant="ghost"
            disabled={resume.isPending}
            onClick={() => resume.mutate({ path: { id: target.id } })}
          >
            {resume.isPending ? 'Resuming…' : 'Resume'}
          </Button>
        )}
        <Button size="sm" variant="ghost-danger" onClick={() => onOpen('delete')}>
          Delete
        </Button>
      </div>
    </li>
  );
}

/** What the target does, in a line or two. */
function TargetSummary({ target }: { target: TargetDto }) {
  if (!target.http) {
    return (
      <p className="mt-1 text-sm text-slate-500">
        {target.type === 'log'
          ? 'Writes each event to the server log, as one structured line.'
          : 'Copies each event into the archived_events table, where retention does not delete it.'}
      </p>
    );
  }
  const { url, method, timeoutMs, maxRetries, maxBackoffMs, concurrency, headers, rateLimit } = target.http;
  const headerCount = Object.keys(headers).length;
  const details = [
    `timeout ${formatDuration(timeoutMs)}`,
    maxRetries === 0
      ? 'no retries (fire-and-forget)'
      : `${maxRetries} ${maxRetries === 1 ? 'retry' : 'retries'}, backoff up to ${formatDuration(maxBackoffMs)}`,
    `${concurrency} in flight`,
    rateLimit && `≤ ${formatRate(rateLimit.perSecond)}/s (bursts of ${rateLimit.burst})`,
    headerCount > 0 && plural(headerCount, 'extra header'),
  ].filter(Boolean);
  return (
    <>
      <p className="mt-1 flex min-w-0 items-center gap-2 text-sm">
        <span className="font-mono text-xs font-semibold text-slate-500">{method}</span>
        <span className="min-w-0 font-mono text-xs break-all text-slate-700">{url}</span>
      </p>
      <p className="mt-1 text-xs text-slate-500">{details.join(' · ')}</p>
    </>
  );
}

function DeleteTargetDialog({ target, onClose }: { target: TargetDto; onClose: () => void }) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    ...deleteTargetMutation(),
    onSuccess: async () => {
      toast.success(`Target “${target.name}” deleted`);
      await Promise.all([
        invalidateTargets(queryClient, target.webhookId),
        invalidateDeliveries(queryClient, { webhookId: target.webhookId, targetId: target.id }),
      ]);
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title="Delete target?"
      confirmLabel="Delete target"
      destructive
      pending={remove.isPending}
      error={remove.isError ? errorMessage(remove.error) : undefined}
      onConfirm={() => remove.mutate({ path: { id: target.id } })}
      onClose={onClose}
    >
      <p>
        <strong className="font-medium text-slate-900">{target.name}</strong> gets no more events. Its
        deliveries not yet done, paused ones included, are cancelled; the ones done stay in the event log.
        This cannot be undone: to stop sending for a while and keep the events, pause it instead.
      </p>
    </ConfirmDialog>
  );
}

function PauseTargetDialog({ target, onClose }: { target: TargetDto; onClose: () => void }) {
  const queryClient = useQueryClient();
  const pause = useMutation({
    ...deactivateTargetMutation(),
    onSuccess: async () => {
      toast.success(`Target “${target.name}” paused`);
      await invalidatePausedTarget(queryClient, target.webhookId, target.id);
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title="Pause target?"
      confirmLabel="Pause target"
      pending={pause.isPending}
      error={pause.isError ? errorMessage(pause.error) : undefined}
      onConfirm={() => pause.mutate({ path: { id: target.id } })}
      onClose={onClose}
    >
      <p>
        Nothing is sent to <strong className="font-medium text-slate-900">{target.name}</strong> while it is
        paused. Its events are kept: the deliveries waiting now and those of new events wait for it, and go
        out oldest first when you resume it.
      </p>
      <p>Paused deliveries older than the webhook’s retention are deleted with their events.</p>
    </ConfirmDialog>
  );
}
