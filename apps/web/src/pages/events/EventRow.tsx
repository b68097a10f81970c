import { getEventOptions, type DeliveryCountsDto, type EventSummaryDto } from '@webhooker/api-client';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Badge } from '../../components/Badge';
import { DeliveryCounts } from '../../components/DeliveryStatusBadge';
import { RelativeTime } from '../../components/RelativeTime';
import { Cell } from '../../components/Table';
import { formatBytes } from '../../lib/format';
import { EventDetail } from './EventDetail';

interface EventRowProps {
  event: EventSummaryDto;
  columns: number;
  /** A column names the event's webhook. */
  showWebhook: boolean;
  expanded: boolean;
  /** Kept open although the list no longer has it (it no longer matches the filters). */
  unlisted: boolean;
  onToggle: () => void;
}

/**
 * The path with the entrypoint's id shortened to its first 8 characters: every event of an
 * entrypoint has the same path; the query string tells them apart.
 */
export function shortPath(path: string): string {
  return path.replace(/^(\/webhook\/[0-9a-f]{8})[0-9a-f-]{28}(?=\/|$)/i, '$1…');
}

/** The counts of the deliveries as the open event's detail has them (it refreshes sooner than the list). */
function countsOf(deliveries: { status: keyof DeliveryCountsDto }[]): DeliveryCountsDto {
  const counts = { pending: 0, retrying: 0, paused: 0, delivered: 0, failed: 0, cancelled: 0, skipped: 0 };
  for (const delivery of deliveries) counts[delivery.status]++;
  return counts;
}

/** One event of the log; a click opens its headers, body and deliveries below it. */
export function EventRow({ event, columns, showWebhook, expanded, unlisted, onToggle }: EventRowProps) {
  const detailId = `event-${event.id}`;
  const full = `${event.path}${event.query ? `?${event.query}` : ''}`;
  // The same query EventDetail runs while the event is open: no request of its own.
  const detail = useQuery({ ...getEventOptions({ path: { id: event.id } }), enabled: expanded });
  const counts = expanded && detail.data ? countsOf(detail.data.deliveries) : event.deliveryCounts;
  const webhookLink = (
    <Link
      to={`/webhooks/${event.webhookId}/events`}
      onClick={(clickEvent) => clickEvent.stopPropagation()}
      className="font-medium text-primary-600 hover:text-primary-700"
    >
      {event.webhookName}
    </Link>
  );
  return (
    <>
      <tr
        onClick={onToggle}
        className={`cursor-pointer transition-colors ${expanded ? 'bg-primary-50/50' : 'hover:bg-slate-50'}`}
      >
        <td className="w-10 py-3 pr-0 pl-4 max-sm:pl-2">
          <button
            type="button"
            aria-expanded={expanded}
            aria-controls={expanded ? detailId : undefined}
            aria-label={expanded ? 'Hide details' : 'Show details'}
            onClick={(clickEvent) => {
              clickEvent.stopPropagation();
              onToggle();
            }}
            className="flex size-6 max-sm:size-10 items-center justify-center rounded-md text-slate-500 hover:bg-slate-200 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-primary-500"
          >
            <svg
              viewBox="0 0 20 20"
              fill="currentColor"
              aria-hidden="true"
              className={`size-4 transition-transform ${expanded ? 'rotate-90' : ''}`}
            >
              <path
                fillRule="evenodd"
                d="M7.2 14.8a.75.75 0 0 1 0-1.06L10.94 10 7.2 6.26a.75.75 0 1 1 1.06-1.06l4.27 4.27a.75.75 0 0 1 0 1.06l-4.27 4.27a.75.75 0 0 1-1.06 0Z"
                clipRule="evenodd"
              />
            </svg>
          </button>
        </td>
        <Cell wide>
          <RelativeTime value={event.receivedAt} />
        </Cell>
        {showWebhook && (
          <Cell wide className="max-w-48 truncate text-xs">
            {webhookLink}
          </Cell>
        )}
        {/* On a phone it takes the room the other cells leave, and says when the event came. */}
        <Cell className="max-w-xs max-sm:w-full max-sm:max-w-0">
          <span className="flex items-center gap-2" title={full}>
            <span className="font-mono text-xs font-semibold text-slate-900">{event.method}</span>
            {/* When the line is too long the path gives way first (on a phone, all of it), then the query string. */}
            <span className="flex min-w-0 font-mono text-xs text-slate-600">
              <span className={`min-w-6 shrink-[8] truncate ${event.query ? 'max-sm:hidden' : ''}`}>
                {shortPath(event.path)}
              </span>
              {event.query && <span className="min-w-0 truncate text-slate-900">?{event.query}</span>}
            </span>
            {event.test && (
              <Badge tone="primary" title="Sent from the dashboard or the API as a test of a target">
                test
              </Badge>
            )}
          </span>
          <span className="mt-1 block truncate text-xs text-slate-500 sm:hidden">
            {showWebhook && <>{webhookLink} · </>}
            <RelativeTime value={event.receivedAt} />
          </span>
          {unlisted && (
            <span className="mt-1 block text-xs text-amber-700">No longer matches the filters</span>
          )}
        </Cell>
        <Cell wide className="text-xs">
          {event.contentType ?? <span className="text-slate-400">none</span>}
        </Cell>
        <Cell wide className="text-xs">
          {formatBytes(event.size)}
        </Cell>
        <Cell wide className="font-mono text-xs">
          {event.sourceIp ?? '–'}
        </Cell>
        <Cell className="text-right max-sm:whitespace-normal">
          <DeliveryCounts counts={counts} />
        </Cell>
      </tr>
      {expanded && (
        <tr id={detailId}>
          <td
            colSpan={columns}
            className="border-l-2 border-primary-500 bg-slate-50 px-6 py-5 max-sm:px-3 max-sm:py-4"
          >
            {/* On a phone a long line of the body scrolls inside it rather than widening the table. */}
            <div className="max-sm:[contain:inline-size]">
              <EventDetail eventId={event.id} showLink />
            </div>
          </td>
        </tr>
      )}
    </>
  );
}
