import {
  getWebhookOptions,
  listAlertEventsInfiniteOptions,
  type AlertDeliveryDto,
  type AlertEventDto,
  type AlertSubscriptionDto,
} from '@webhooker/api-client';
import { useInfiniteQuery, useQueries } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Badge } from '../../components/Badge';
import { Card } from '../../components/Card';
import { DeliveryStatusBadge } from '../../components/DeliveryStatusBadge';
import { LoadMore } from '../../components/LoadMore';
import { RelativeTime } from '../../components/RelativeTime';
import { formatFullDate, plural } from '../../lib/format';
import { errorMessage } from '../../lib/problem';
import { ALERTS_REFRESH_MS, FIRST_PAGE, nextCursor, PAGE_SIZE, targetsOptions } from '../../lib/queries';
import { eventTypeTone } from './eventTypes';

type Data = AlertEventDto['data'];

function text(data: Data, key: string): string | undefined {
  const value = data[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function count(data: Data, key: string): number | undefined {
  const value = data[key];
  return typeof value === 'number' ? value : undefined;
}

/** What happened, in a sentence, from the event's type-specific facts. */
function summary(event: AlertEventDto): string {
  const { data } = event;
  const times = count(data, 'count') ?? 1;
  switch (event.type) {
    case 'target.disabled':
      return `Paused by webhooker: ${text(data, 'reason') ?? 'it kept failing'}.`;
    case 'target.circuit_opened': {
      const until = text(data, 'circuitOpenUntil');
      const failures = plural(count(data, 'consecutiveFailures') ?? 0, 'failed attempt');
      return `${failures} in a row: no attempts${until ? ` until ${formatFullDate(until)}` : ' for a while'}.`;
    }
    case 'target.circuit_closed':
      return 'It answers again; its waiting deliveries go out.';
    case 'delivery.failed': {
      const status = count(data, 'lastStatusCode');
      const error = text(data, 'lastError');
      const last = status !== undefined ? `HTTP ${status}` : error;
      const attempts = count(data, 'attempts');
      return [
        times === 1 ? 'A delivery failed' : `${plural(times, 'delivery', 'deliveries')} failed`,
        attempts !== undefined && ` after ${plural(attempts, 'attempt')}`,
        last && ` (last answer: ${last})`,
        '.',
      ]
        .filter(Boolean)
        .join('');
    }
    case 'webhook.backlog_high':
      return `${plural(count(data, 'waiting') ?? 0, 'delivery', 'deliveries')} waiting to go out (threshold ${count(data, 'threshold') ?? '?'}).`;
    case 'entrypoint.verification_failed':
      return `${plural(times, 'request')} failed the signature check.`;
  }
}

/** How the notification to one subscription went: its status pill, with the last answer on hover. */
function DeliveryLine({ delivery, name }: { delivery: AlertDeliveryDto; name: string }) {
  const detail = [
    plural(delivery.attemptCount, 'attempt'),
    delivery.lastStatusCode != null && `HTTP ${delivery.lastStatusCode}`,
    delivery.lastError !== `HTTP ${delivery.lastStatusCode}` && delivery.lastError,
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <li className="inline-flex min-w-0 items-center gap-1.5" title={detail}>
      <span className="min-w-0 truncate">{name}</span>
      <DeliveryStatusBadge status={delivery.status} />
    </li>
  );
}

/** The recent operational events of the user's webhooks, newest first, with each subscription's delivery. */
export function AlertEventsCard({ subscriptions }: { subscriptions: AlertSubscriptionDto[] | undefined }) {
  const events = useInfiniteQuery({
    ...listAlertEventsInfiniteOptions({ query: { limit: PAGE_SIZE } }),
    initialPageParam: FIRST_PAGE,
    getNextPageParam: nextCursor,
    refetchInterval: ALERTS_REFRESH_MS,
  });
  const items = events.data?.pages.flatMap((page) => page.items) ?? [];

  // The names of the webhooks and targets the events concern (one query each, shared with their pages).
  const webhookIds = [...new Set(items.map((event) => event.webhookId))];
  const webhooks = useQueries({
    queries: webhookIds.map((id) => ({ ...getWebhookOptions({ path: { id } }), retry: false })),
  });
  const targets = useQueries({
    queries: webhookIds.map((id, index) => ({ ...targetsOptions(id), enabled: webhooks[index]?.isSuccess })),
  });
  const webhookName = (id: string) => webhooks[webhookIds.indexOf(id)]?.data?.name;
  const webhookGone = (id: string) => webhooks[webhookIds.indexOf(id)]?.isError;
  /** The target's name; null once it is known to be gone, undefined while loading. */
  const targetName = (webhookId: string, targetId: string) => {
    const query = targets[webhookIds.indexOf(webhookId)];
    if (!query?.isSuccess) return webhookGone(webhookId) ? null : undefined;
    return query.data.items.find((target) => target.id === targetId)?.name ?? null;
  };
  const subscriptionName = (id: string) =>
    subscriptions?.find((subscription) => subscription.id === id)?.name ?? 'a deleted subscription';

  return (
    <Card
      title="Recent operational events"
      description="What happened to your webhooks, and how the alert reached each subscription."
      flush
    >
      <ul className="divide-y divide-slate-100">
        {events.isPending && (
          <li className="px-4 py-8 text-center text-sm text-slate-500 sm:px-6">Loading…</li>
        )}
        {events.isError && (
          <li className="px-4 py-8 text-center text-sm text-slate-500 sm:px-6">
            {errorMessage(events.error)}
          </li>
        )}
        {events.isSuccess && items.length === 0 && (
          <li className="px-4 py-10 text-center text-sm text-slate-500 sm:px-6">
            No operational events yet. When webhooker pauses one of your targets, a circuit opens or closes,
            deliveries fail for good or a backlog builds up, it is listed here: only the events some
            subscription wants are recorded.
          </li>
        )}
        {items.map((event) => {
          const targetId = text(event.data, 'targetId');
          const target = targetId ? targetName(event.webhookId, targetId) : undefined;
          return (
            <li key={event.id} aria-label={`${event.type} event`} className="px-4 py-4 sm:px-6">
              <div className="flex flex-wrap items-center justify-between gap-x-4 gap-y-1">
                <Badge tone={eventTypeTone(event.type)}>{event.type}</Badge>
                <span className="text-xs text-slate-500">
                  <RelativeTime value={event.occurredAt} />
                </span>
              </div>
              <p className="mt-2 text-sm break-words text-slate-700">
                {webhookGone(event.webhookId) ? (
                  <span className="text-slate-500">A deleted webhook</span>
                ) : (
                  <Link
                    to={`/webhooks/${event.webhookId}`}
                    className="font-medium text-primary-600 hover:text-primary-700 hover:underline"
                  >
                    {webhookName(event.webhookId) ?? 'Webhook'}
                  </Link>
                )}
                {target !== undefined && (
                  <>
                    <span className="text-slate-400"> · </span>
                    {target === null ? (
                      <span className="text-slate-500">a deleted target</span>
                    ) : (
                      <span>target {target}</span>
                    )}
                  </>
                )}
              </p>
              <p className="mt-1 text-sm break-words text-slate-600">{summary(event)}</p>
              <div className="mt-2 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-500">
                <span>Sent to</span>
                {event.deliveries.length === 0 ? (
                  <span>no subscription</span>
                ) : (
                  <ul aria-label="Alert deliveries" className="flex min-w-0 flex-wrap gap-x-4 gap-y-1">
                    {event.deliveries.map((delivery) => (
                      <DeliveryLine
                        key={delivery.id}
                        delivery={delivery}
                        name={subscriptionName(delivery.subscriptionId)}
                      />
                    ))}
                  </ul>
                )}
              </div>
            </li>
          );
        })}
      </ul>
      {items.length > 0 && (
        <LoadMore
          hasMore={events.hasNextPage}
          loading={events.isFetchingNextPage}
          onLoad={() => events.fetchNextPage()}
          shown={plural(items.length, 'event')}
        />
      )}
    </Card>
  );
}
