import { listEventsInfiniteOptions } from '@webhooker/api-client';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Card } from '../components/Card';
import { invalidateWebhook, LIVE_REFRESH_MS, nextCursor, targetsOptions } from '../lib/queries';
import { EventFilters, useEventFilters } from './events/EventFilters';
import { EventList } from './events/EventList';
import { useWebhook } from './webhooks/WebhookLayout';

/** A webhook's events, newest first, searched and filtered; it refreshes itself. */
export function EventLogPage() {
  const webhook = useWebhook();
  const queryClient = useQueryClient();
  const filters = useEventFilters();
  const targets = useQuery(targetsOptions(webhook.id));
  const { webhookId: _all, ...query } = filters.query;
  const events = useInfiniteQuery({
    ...listEventsInfiniteOptions({ path: { webhookId: webhook.id }, query }),
    // The first page is the query as it is (the generated page param is merged into it).
    initialPageParam: { path: { webhookId: webhook.id } },
    getNextPageParam: nextCursor,
    // Only while the page is visible: TanStack pauses intervals in background tabs.
    refetchInterval: LIVE_REFRESH_MS,
  });

  // A new event changes the webhook's event count, shown above and in the lists.
  const newest = events.data?.pages[0]?.items[0]?.id;
  useEffect(() => {
    if (newest) invalidateWebhook(queryClient, webhook.id);
  }, [newest, queryClient, webhook.id]);

  return (
    <div className="space-y-4">
      <Card>
        <EventFilters
          filters={filters}
          entrypoints={webhook.entrypoints}
          targets={targets.data?.items ?? []}
          updatedAt={events.dataUpdatedAt}
        />
      </Card>
      <EventList
        key={filters.key}
        events={events}
        filtered={filters.filtered}
        emptyText="No events yet. Send one to an entrypoint URL: it shows up here within seconds."
      />
    </div>
  );
}
