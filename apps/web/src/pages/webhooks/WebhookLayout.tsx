import { getWebhookOptions, type WebhookDetailDto } from '@webhooker/api-client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, Outlet, matchPath, useLocation, useOutletContext, useParams } from 'react-router';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeader } from '../../components/PageHeader';
import { RelativeTime } from '../../components/RelativeTime';
import { Tabs } from '../../components/Tabs';
import { plural } from '../../lib/format';
import { errorMessage, hasStatus } from '../../lib/problem';
import { WEBHOOK_REFRESH_MS } from '../../lib/queries';
import { DeleteWebhookDialog } from './DeleteWebhookDialog';
import { WebhookFormDialog } from './WebhookFormDialog';

/** The pages of one webhook: its name, actions and tabs, then the tab's page. */
export function WebhookLayout() {
  const { webhookId = '' } = useParams();
  // Refreshed now and then for its event count; the event log refreshes it on every new event.
  const webhook = useQuery({
    ...getWebhookOptions({ path: { id: webhookId } }),
    refetchInterval: WEBHOOK_REFRESH_MS,
  });
  const [dialog, setDialog] = useState<'edit' | 'delete'>();
  const close = () => setDialog(undefined);
  const { pathname } = useLocation();

  if (!webhook.data) {
    return (
      <>
        <Breadcrumb />
        {webhook.isPending ? (
          <p className="text-sm text-slate-500">Loading…</p>
        ) : hasStatus(webhook.error, 404) || hasStatus(webhook.error, 400) ? (
          <>
            <PageHeader title="Webhook not found" />
            <Card>
              <p className="text-sm text-slate-600">
                It was deleted, or it is not yours.{' '}
                <Link to="/webhooks" className="font-medium text-primary-600 hover:text-primary-700">
                  Go to your webhooks
                </Link>
                .
              </p>
            </Card>
          </>
        ) : (
          <div className="space-y-3">
            <ErrorAlert message={errorMessage(webhook.error)} />
            <Button onClick={() => webhook.refetch()}>Try again</Button>
          </div>
        )}
      </>
    );
  }

  const { data } = webhook;
  const tabs = [
    { to: `/webhooks/${data.id}`, label: 'Entrypoints and targets', end: true },
    { to: `/webhooks/${data.id}/events`, label: 'Event log' },
    { to: `/webhooks/${data.id}/recovery`, label: 'Recovery' },
  ];
  const tab = tabs.find(({ to, end }) => matchPath({ path: to, end: end ?? false }, pathname));
  return (
    <>
      <Breadcrumb name={data.name} />
      <PageHeader
        title={data.name}
        documentTitle={tab && !tab.end ? `${tab.label} · ${data.name}` : data.name}
        description={
          <>
            {data.description && <span className="block">{data.description}</span>}
            <span className="mt-1 block text-xs text-slate-500">
              {plural(data.eventCount, 'event')} · kept {plural(data.retentionDays, 'day')} · created{' '}
              <RelativeTime value={data.createdAt} />
            </span>
          </>
        }
        action={
          <div className="flex gap-2">
            <Button onClick={() => setDialog('edit')}>Edit</Button>
            <Button variant="danger" onClick={() => setDialog('delete')}>
              Delete
            </Button>
          </div>
        }
      />
      <Tabs label="Webhook" tabs={tabs} />
      <Outlet context={data} />
      {dialog === 'edit' && <WebhookFormDialog webhook={data} onClose={close} />}
      {dialog === 'delete' && <DeleteWebhookDialog webhook={data} onClose={close} />}
    </>
  );
}

/** The webhook shown by the enclosing WebhookLayout. */
export function useWebhook(): WebhookDetailDto {
  return useOutletContext<WebhookDetailDto>();
}

function Breadcrumb({ name }: { name?: string }) {
  return (
    <nav aria-label="Breadcrumb" className="mb-2 text-sm text-slate-500">
      <Link to="/webhooks" className="font-medium text-primary-600 hover:text-primary-700">
        Webhooks
      </Link>
      {name && (
        <>
          <span aria-hidden="true" className="mx-2 text-slate-300">
            /
          </span>
          <span aria-current="page">{name}</span>
        </>
      )}
    </nav>
  );
}
