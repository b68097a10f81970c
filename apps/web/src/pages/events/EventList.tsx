import type { EventPageDto, EventSummaryDto, ProblemDetailsDto } from '@webhooker/api-client';
import type { InfiniteData, UseInfiniteQueryResult } from '@tanstack/react-query';
import { useState } from 'react';
import { Card } from '../../components/Card';
import { LoadMore } from '../../components/LoadMore';
import { Table, TableMessage } from '../../components/Table';
import { plural } from '../../lib/format';
import { errorMessage } from '../../lib/problem';
import { EventRow } from './EventRow';

interface EventListProps {
  events: UseInfiniteQueryResult<InfiniteData<EventPageDto>, ProblemDetailsDto>;
  /** A search or filter is applied (the empty list says so). */
  filtered: boolean;
  /** Events of several webhooks: each row names its webhook. */
  showWebhook?: boolean;
  /** What the list says when there is no event at all. */
  emptyText: string;
}

/** Newest first, as the API orders them. */
function newestFirst(a: EventSummaryDto, b: EventSummaryDto): number {
  return b.receivedAt.localeCompare(a.receivedAt) || b.id.localeCompare(a.id);
}

/**
 * A page of events, expandable, with "Load more". An open event stays in the list while it is
 * open, even when a refresh no longer lists it (its replay moved it out of the status filtered
 * on): it shows its new status, marked as no longer matching, until it is closed or the filters
 * change (the page gives the list a new key then).
 */
export function EventList({ events, filtered, showWebhook = false, emptyText }: EventListProps) {
  const [open, setOpen] = useState<ReadonlyMap<string, EventSummaryDto>>(new Map());
  const columns = [
    '',
    'Received',
    ...(showWebhook ? ['Webhook'] : []),
    'Request',
    'Content type',
    'Size',
    'Source IP',
    'Deliveries',
  ];
  // On a phone the request (with when it came) and its deliveries are the row; the rest is in the details.
  const wideOnly = ['Received', 'Webhook', 'Content type', 'Size', 'Source IP'];

  const items = events.data?.pages.flatMap((page) => page.items) ?? [];
  const listed = new Set(items.map((event) => event.id));
  const kept = [...open.values()].filter((event) => !listed.has(event.id));
  const rows = kept.length > 0 ? [...items, ...kept].sort(newestFirst) : items;

  const toggle = (event: EventSummaryDto) => {
    const next = new Map(open);
    if (!next.delete(event.id)) next.set(event.id, event);
    setOpen(next);
  };

  return (
    <Card flush>
      <Table columns={columns} phone="columns" wideOnly={wideOnly}>
        {events.isPending && <TableMessage columns={columns.length}>Loading…</TableMessage>}
        {events.isError && !events.data && (
          <TableMessage columns={columns.length}>{errorMessage(events.error)}</TableMessage>
        )}
        {events.isSuccess && rows.length === 0 && (
          <TableMessage columns={columns.length}>
            {filtered ? 'No events match this search and these filters.' : emptyText}
          </TableMessage>
        )}
        {rows.map((event) => (
          <EventRow
            key={event.id}
            event={event}
            columns={columns.length}
            showWebhook={showWebhook}
            expanded={open.has(event.id)}
            unlisted={!listed.has(event.id)}
            onToggle={() => toggle(event)}
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
      {events.isError && events.data && (
        <p role="alert" className="border-t border-slate-100 px-6 py-3 text-xs text-red-600">
          {errorMessage(events.error)}
        </p>
      )}
    </Card>
  );
}
