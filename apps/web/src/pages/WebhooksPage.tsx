import { listWebhooksInfiniteOptions } from '@webhooker/api-client';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { LoadMore } from '../components/LoadMore';
import { PageHeader } from '../components/PageHeader';
import { RelativeTime } from '../components/RelativeTime';
import { Cell, Table, TableMessage } from '../components/Table';
import { plural } from '../lib/format';
import { errorMessage } from '../lib/problem';
import { FIRST_PAGE, nextCursor, PAGE_SIZE } from '../lib/queries';
import { WebhookFormDialog } from './webhooks/WebhookFormDialog';

const COLUMNS = ['Name', 'Entrypoints', 'Targets', 'Events', 'Created'];

export function WebhooksPage() {
  const webhooks = useInfiniteQuery({
    ...listWebhooksInfiniteOptions({ query: { limit: PAGE_SIZE } }),
    initialPageParam: FIRST_PAGE,
    getNextPageParam: nextCursor,
  });
  const [creating, setCreating] = useState(false);
  const items = webhooks.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Each webhook receives events on its entrypoint URLs and delivers them to its targets."
        action={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create webhook
          </Button>
        }
      />
      <Card flush>
        <Table columns={COLUMNS}>
          {webhooks.isPending && <TableMessage columns={COLUMNS.length}>Loading…</TableMessage>}
          {webhooks.isError && (
            <TableMessage columns={COLUMNS.length}>{errorMessage(webhooks.error)}</TableMessage>
          )}
          {webhooks.isSuccess && items.length === 0 && (
            <TableMessage columns={COLUMNS.length}>
              No webhooks yet. Create one to get an entrypoint URL to send events to.
            </TableMessage>
          )}
          {items.map((webhook) => (
            <tr key={webhook.id} className="hover:bg-slate-50">
              <Cell className="max-w-md whitespace-normal">
                <Link
                  to={`/webhooks/${webhook.id}`}
                  className="font-medium text-slate-900 hover:text-primary-700 hover:underline"
                >
                  {webhook.name}
                </Link>
                {webhook.description && (
                  <p className="mt-0.5 truncate text-xs text-slate-500">{webhook.description}</p>
                )}
              </Cell>
              <Cell label="Entrypoints">{webhook.entrypointCount.toLocaleString()}</Cell>
              <Cell label="Targets">{webhook.targetCount.toLocaleString()}</Cell>
              <Cell label="Events">
                <Link
                  to={`/webhooks/${webhook.id}/events`}
                  className="text-primary-600 hover:text-primary-700 hover:underline"
                  aria-label={`${plural(webhook.eventCount, 'event')} of ${webhook.name}`}
                >
                  {webhook.eventCount.toLocaleString()}
                </Link>
              </Cell>
              <Cell label="Created" className="text-right">
                <RelativeTime value={webhook.createdAt} />
              </Cell>
            </tr>
          ))}
        </Table>
        {items.length > 0 && (
          <LoadMore
            shown={`Showing ${plural(items.length, 'webhook')}, newest first.`}
            hasMore={webhooks.hasNextPage}
            loading={webhooks.isFetchingNextPage}
            onLoad={() => webhooks.fetchNextPage()}
          />
        )}
      </Card>
      {creating && <WebhookFormDialog onClose={() => setCreating(false)} />}
    </>
  );
}
