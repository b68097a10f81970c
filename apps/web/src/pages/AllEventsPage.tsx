import { getWebhookOptions, listAllEventsInfiniteOptions, listWebhooksOptions } from '@webhooker/api-client';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Card } from '../components/Card';
import { PageHeader } from '../components/PageHeader';
import { useSession } from '../lib/session';
import { FIRST_PAGE, LIVE_REFRESH_MS, nextCursor, targetsOptions } from '../lib/queries';
import { EventFilters, useEventFilters } from './events/EventFilters';
import { EventList } from './events/EventList';

/** The API's largest page: the webhook filter lists that many webhooks. */
const WEBHOOKS_LISTED = 200;

/** The events of every webhook one may see (all of them for admins), searched and filtered. */
export function AllEventsPage() {
  const { user } = useSession();
  const filters = useEventFilters();
  const webhookId = filters.value('webhook');
  const webhooks = useQuery(listWebhooksOptions({ query: { limit: WEBHOOKS_LISTED } }));
  // One webhook chosen: its entrypoints and targets filter too.
  const webhook = useQuery({ ...getWebhookOptions({ path: { id: webhookId } }), enabled: webhookId !== '' });
  const targets = useQuery({ ...targetsOptions(webhookId), enabled: webhookId !== '' });
  const events = useInfiniteQuery({
    ...listAllEventsInfiniteOptions({ query: filters.query }),
    initialPageParam: FIRST_PAGE,
    getNextPageParam: nextCursor,
    refetchInterval: LIVE_REFRESH_MS,
  });

  return (
    <>
      <PageHeader
        title="Events"
        description={
          user.role === 'admin'
            ? 'Every webhook’s events, newest first: search them by event id, header value or body text.'
            : 'The events of all your webhooks, newest first: search them by event id, header value or body text.'
        }
      />
      <div className="space-y-4">
        <Card>
          <EventFilters
            filters={filters}
            webhooks={webhooks.data?.items ?? []}
            entrypoints={webhookId ? (webhook.data?.entrypoints ?? []) : []}
            targets={webhookId ? (targets.data?.items ?? []) : []}
            updatedAt={events.dataUpdatedAt}
          />
        </Card>
        <EventList
          key={filters.key}
          events={events}
          filtered={filters.filtered}
          showWebhook
          emptyText="No events yet. Events sent to your webhooks' entrypoints show up here within seconds."
        />
      </div>
    </>
  );
}
