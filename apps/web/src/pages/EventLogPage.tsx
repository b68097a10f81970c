import { listEventsInfiniteOptions, type DeliveryStatus, type ListEventsData } from '@webhooker/api-client';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { DELIVERY_STATUSES } from '../components/DeliveryStatusBadge';
import { SelectField, TextField } from '../components/Field';
import { LoadMore } from '../components/LoadMore';
import { Table, TableMessage } from '../components/Table';
import { plural } from '../lib/format';
import { errorMessage } from '../lib/problem';
import { invalidateWebhook, LIVE_REFRESH_MS, nextCursor, PAGE_SIZE } from '../lib/queries';
import { EventRow } from './events/EventRow';
import { useWebhook } from './webhooks/WebhookLayout';

const COLUMNS = ['', 'Received', 'Request', 'Content type', 'Size', 'Source IP', 'Deliveries'];
/** On a phone the request (with when it came) and its deliveries are the row; the rest is in the details. */
const WIDE_ONLY = ['Received', 'Content type', 'Size', 'Source IP'];
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** A datetime-local value (local time, as typed) to the ISO 8601 instant the API takes. */
function toInstant(local: string | null): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A webhook's events, newest first, filtered by delivery status and time; it refreshes itself. */
export function EventLogPage() {
  const webhook = useWebhook();
  const queryClient = useQueryClient();
  const [searchParams, setSearchParams] = useSearchParams();
  const status = (searchParams.get('status') ?? '') as DeliveryStatus | '';
  const since = searchParams.get('since') ?? '';
  const until = searchParams.get('until') ?? '';
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());

  const query: NonNullable<ListEventsData['query']> = { limit: PAGE_SIZE };
  if (status) query.status = status;
  if (toInstant(since)) query.since = toInstant(since);
  if (toInstant(until)) query.until = toInstant(until);
  const events = useInfiniteQuery({
    ...listEventsInfiniteOptions({ path: { webhookId: webhook.id }, query }),
    // The first page is the query as it is (the generated page param is merged into it).
    initialPageParam: { path: { webhookId: webhook.id } },
    getNextPageParam: nextCursor,
    // Only while the page is visible: TanStack pauses intervals in background tabs.
    refetchInterval: LIVE_REFRESH_MS,
  });
  const items = events.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = Boolean(status || since || until);

  // A new event changes the webhook's event count, shown above and in the lists.
  const newest = items[0]?.id;
  useEffect(() => {
    if (newest) invalidateWebhook(queryClient, webhook.id);
  }, [newest, queryClient, webhook.id]);

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(searchParams);
    if (value) next.set(name, value);
    else next.delete(name);
    setSearchParams(next, { replace: true });
  };
  const toggle = (id: string) => {
    const next = new Set(expanded);
    if (!next.delete(id)) next.add(id);
    setExpanded(next);
  };

  return (
    <div className="space-y-4">
      <Card>
        <form
          aria-label="Filters"
          onSubmit={(event) => event.preventDefault()}
          className="flex flex-wrap items-end gap-4"
        >
          <div className="w-full sm:w-48">
            <SelectField
              label="Delivery status"
              value={status}
              onChange={(event) => setFilter('status', event.target.value)}
            >
              <option value="">Any</option>
              {DELIVERY_STATUSES.map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </SelectField>
          </div>
          <div className="w-full sm:w-56">
            <TextField
              label="Received from"
              type="datetime-local"
              value={since}
              onChange={(event) => setFilter('since', event.target.value)}
            />
          </div>
          <div className="w-full sm:w-56">
            <TextField
              label="Received before"
              type="datetime-local"
              value={until}
              onChange={(event) => setFilter('until', event.target.value)}
            />
          </div>
          {filtered && (
            <Button variant="ghost" onClick={() => setSearchParams({}, { replace: true })}>
              Clear filters
            </Button>
          )}
          <p className="ml-auto flex items-center gap-2 self-center text-xs text-slate-500" aria-live="off">
            <span className="relative flex size-2">
              <span className="absolute inline-flex size-full animate-ping rounded-full bg-emerald-400 opacity-60" />
              <span className="relative inline-flex size-2 rounded-full bg-emerald-500" />
            </span>
            Live{events.dataUpdatedAt > 0 && ` · updated ${clock.format(events.dataUpdatedAt)}`}
          </p>
        </form>
      </Card>
      <Card flush>
        <Table columns={COLUMNS} phone="columns" wideOnly={WIDE_ONLY}>
          {events.isPending && <TableMessage columns={COLUMNS.length}>Loading…</TableMessage>}
          {events.isError && !events.data && (
            <TableMessage columns={COLUMNS.length}>{errorMessage(events.error)}</TableMessage>
          )}
          {events.isSuccess && items.length === 0 && (
            <TableMessage columns={COLUMNS.length}>
              {filtered
                ? 'No events match these filters.'
                : 'No events yet. Send one to an entrypoint URL: it shows up here within seconds.'}
            </TableMessage>
          )}
          {items.map((event) => (
            <EventRow
              key={event.id}
              event={event}
              columns={COLUMNS.length}
              expanded={expanded.has(event.id)}
              onToggle={() => toggle(event.id)}
            />
          ))}
        </Table>
        {items.length > 0 && (
          <LoadMore
            shown={`Showing ${plural(items.length, 'event')}, newest first.`}
            hasMore={events.hasNextPage}
            loading={events.isFetchingNextPage}
            onLoad={() => events.fetchNextPage()}
          />
        )}
      </Card>
    </div>
  );
}
