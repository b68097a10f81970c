import { listWebhooksOptions } from '@webhooker/api-client';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Card } from '../../components/Card';
import { plural } from '../../lib/format';
import { errorMessage } from '../../lib/problem';

const SHOWN = 5;

/** The newest few webhooks with their event counts, each a link to it. */
export function YourWebhooksCard() {
  const webhooks = useQuery(listWebhooksOptions({ query: { limit: SHOWN } }));
  const items = webhooks.data?.items ?? [];
  return (
    <Card
      title="Your webhooks"
      flush
      action={
        <Link to="/webhooks" className="text-sm font-medium text-primary-600 hover:text-primary-700">
          All webhooks →
        </Link>
      }
    >
      <ul className="divide-y divide-slate-100">
        {webhooks.isPending && <li className="px-4 py-6 text-sm text-slate-500 sm:px-6">Loading…</li>}
        {webhooks.isError && (
          <li className="px-4 py-6 text-sm text-slate-500 sm:px-6">{errorMessage(webhooks.error)}</li>
        )}
        {webhooks.isSuccess && items.length === 0 && (
          <li className="px-4 py-6 text-sm text-slate-500 sm:px-6">
            No webhooks yet.{' '}
            <Link to="/webhooks" className="font-medium text-primary-600 hover:text-primary-700">
              Create one
            </Link>{' '}
            to get an entrypoint URL.
          </li>
        )}
        {items.map((webhook) => (
          <li key={webhook.id}>
            <Link
              to={`/webhooks/${webhook.id}`}
              className="flex items-center justify-between gap-4 px-4 py-3 transition-colors hover:bg-slate-50 sm:px-6"
            >
              <span className="min-w-0">
                <span className="block truncate text-sm font-medium text-slate-900">{webhook.name}</span>
                {webhook.description && (
                  <span className="block truncate text-xs text-slate-500">{webhook.description}</span>
                )}
              </span>
              <span className="shrink-0 text-right text-xs text-slate-500">
                <span className="block text-sm font-semibold text-slate-900">
                  {plural(webhook.eventCount, 'event')}
                </span>
                {plural(webhook.targetCount, 'target')}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </Card>
  );
}
