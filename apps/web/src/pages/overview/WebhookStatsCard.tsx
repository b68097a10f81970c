import type { WebhookStatsDto } from '@webhooker/api-client';
import { Link } from 'react-router';
import { Card } from '../../components/Card';
import { RelativeTime } from '../../components/RelativeTime';
import { plural } from '../../lib/format';
import { formatPercent } from './chartData';

const SHOWN = 8;

/** The busiest webhooks of the window with their numbers, each a link to it. */
export function WebhookStatsCard({ webhooks }: { webhooks: WebhookStatsDto[] }) {
  return (
    <Card
      title="Webhooks"
      flush
      action={
        <Link to="/webhooks" className="text-sm font-medium text-primary-600 hover:text-primary-700">
          All webhooks →
        </Link>
      }
    >
      <ul className="divide-y divide-slate-100">
        {webhooks.slice(0, SHOWN).map((webhook) => (
          <li key={webhook.id}>
            <Link
              to={`/webhooks/${webhook.id}`}
              className="flex items-center justify-between gap-4 px-4 py-3 transition-colors hover:bg-slate-50 sm:px-6"
            >
              <span className="min-w-0">
                <span className="block truncate text-sm font-medium text-slate-900">{webhook.name}</span>
                <span className="block text-xs text-slate-500">
                  {webhook.lastDeliveryAt ? (
                    <>
                      last delivery <RelativeTime value={webhook.lastDeliveryAt} />
                    </>
                  ) : (
                    'no deliveries in this window'
                  )}
                </span>
              </span>
              <span className="shrink-0 text-right text-xs text-slate-500">
                <span className="block text-sm font-semibold text-slate-900">
                  {plural(webhook.eventsReceived, 'event')}
                </span>
                {webhook.successRate !== null && webhook.successRate !== undefined && (
                  <>{formatPercent(webhook.successRate)} success</>
                )}
                {webhook.failed > 0 && (
                  <span className="text-red-700"> · {webhook.failed.toLocaleString()} failed</span>
                )}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </Card>
  );
}
