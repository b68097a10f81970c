import type { EventSummaryDto } from '@webhooker/api-client';
import { Badge } from '../../components/Badge';
import { DeliveryCounts } from '../../components/DeliveryStatusBadge';
import { RelativeTime } from '../../components/RelativeTime';
import { Cell } from '../../components/Table';
import { formatBytes } from '../../lib/format';
import { EventDetail } from './EventDetail';

interface EventRowProps {
  event: EventSummaryDto;
  columns: number;
  expanded: boolean;
  onToggle: () => void;
}

/** One event of the log; a click opens its headers, body and deliveries below it. */
export function EventRow({ event, columns, expanded, onToggle }: EventRowProps) {
  const detailId = `event-${event.id}`;
  const request = `${event.path}${event.query ? `?${event.query}` : ''}`;
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
        {/* On a phone it takes the room the other cells leave, and says when the event came. */}
        <Cell className="max-w-xs max-sm:w-full max-sm:max-w-0">
          <span className="flex items-center gap-2" title={request}>
            <span className="font-mono text-xs font-semibold text-slate-900">{event.method}</span>
            <span className="truncate font-mono text-xs text-slate-600">{request}</span>
            {event.test && (
              <Badge tone="primary" title="Sent from the dashboard or the API as a test of a target">
                test
              </Badge>
            )}
          </span>
          <span className="mt-1 block text-xs text-slate-500 sm:hidden">
            <RelativeTime value={event.receivedAt} />
          </span>
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
          <DeliveryCounts counts={event.deliveryCounts} />
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
