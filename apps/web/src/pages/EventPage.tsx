import { getEventOptions, getWebhookOptions } from '@webhooker/api-client';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { Card } from '../components/Card';
import { PageHeader } from '../components/PageHeader';
import { RelativeTime } from '../components/RelativeTime';
import { hasStatus } from '../lib/problem';
import { EventDetail } from './events/EventDetail';

const LINK = 'font-medium text-primary-600 hover:text-primary-700';

/** One event on its own page, e.g. from a target's failed deliveries. */
export function EventPage() {
  const { eventId = '' } = useParams();
  // The same query EventDetail runs: its data gives the title and the way back.
  const event = useQuery(getEventOptions({ path: { id: eventId } }));
  const webhookId = event.data?.webhookId ?? '';
  const webhook = useQuery({ ...getWebhookOptions({ path: { id: webhookId } }), enabled: webhookId !== '' });

  if (hasStatus(event.error, 404) || hasStatus(event.error, 400)) {
    return (
      <>
        <PageHeader title="Event not found" />
        <Card>
          <p className="text-sm text-slate-600">
            It was deleted (retention, or its webhook was deleted), or it is not yours.{' '}
            <Link to="/webhooks" className={LINK}>
              Go to your webhooks
            </Link>
            .
          </p>
        </Card>
      </>
    );
  }

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 flex flex-wrap gap-x-2 text-sm text-slate-500">
        <Link to="/webhooks" className={LINK}>
          Webhooks
        </Link>
        {webhook.data && (
          <>
            <span aria-hidden="true" className="text-slate-300">
              /
            </span>
            <Link to={`/webhooks/${webhook.data.id}`} className={LINK}>
              {webhook.data.name}
            </Link>
            <span aria-hidden="true" className="text-slate-300">
              /
            </span>
            <Link to={`/webhooks/${webhook.data.id}/events`} className={LINK}>
              Event log
            </Link>
          </>
        )}
      </nav>
      <PageHeader
        title="Event"
        description={
          event.data && (
            <>
              <span className="font-mono break-all">
                {event.data.method} {event.data.path}
                {event.data.query && `?${event.data.query}`}
              </span>{' '}
              received <RelativeTime value={event.data.receivedAt} />
            </>
          )
        }
      />
      <Card>
        <EventDetail eventId={eventId} />
      </Card>
    </>
  );
}
