import {
  listAlertSubscriptionsOptions,
  updateAlertSubscriptionMutation,
  type AlertSubscriptionDto,
} from '@webhooker/api-client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { toast } from 'sonner';
import { Badge } from '../components/Badge';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { PageHeader } from '../components/PageHeader';
import { Switch } from '../components/Switch';
import { Cell, Table, TableMessage } from '../components/Table';
import { plural } from '../lib/format';
import { errorMessage } from '../lib/problem';
import { invalidateAlertSubscriptions } from '../lib/queries';
import { AlertEventsCard } from './alerts/AlertEventsCard';
import { DeleteSubscriptionDialog } from './alerts/DeleteSubscriptionDialog';
import { SubscriptionFormDialog } from './alerts/SubscriptionFormDialog';

const COLUMNS = ['Name', 'Sends to', 'Events', 'Active', ''];
/** 200 is the API's largest page: more subscriptions than that is not a thing. */
const SUBSCRIPTIONS_QUERY = { query: { limit: 200 } };

type OpenDialog = { kind: 'edit' | 'delete'; subscription: AlertSubscriptionDto };

/** Alert subscriptions (who is told about which operational events) and the recent events. */
export function AlertsPage() {
  const subscriptions = useQuery(listAlertSubscriptionsOptions(SUBSCRIPTIONS_QUERY));
  const [creating, setCreating] = useState(false);
  const [dialog, setDialog] = useState<OpenDialog>();
  const close = () => setDialog(undefined);

  return (
    <>
      <PageHeader
        title="Alerts"
        description="Be told when something goes wrong with your webhooks: by a signed POST to a URL of yours, or a line in the server log."
        action={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Add subscription
          </Button>
        }
      />
      <div className="space-y-6">
        <Card title="Subscriptions" flush>
          <Table columns={COLUMNS}>
            {subscriptions.isPending && <TableMessage columns={COLUMNS.length}>Loading…</TableMessage>}
            {subscriptions.isError && (
              <TableMessage columns={COLUMNS.length}>{errorMessage(subscriptions.error)}</TableMessage>
            )}
            {subscriptions.data?.items.length === 0 && (
              <TableMessage columns={COLUMNS.length}>
                <span className="mx-auto block max-w-xl whitespace-normal">
                  No subscriptions yet. Alerts tell you when webhooker pauses a target (after a 410 Gone or
                  days of failures), when a circuit opens or closes, when deliveries fail for good or a
                  backlog builds up. Add a subscription to be told.
                </span>
              </TableMessage>
            )}
            {subscriptions.data?.items.map((subscription) => (
              <SubscriptionRow
                key={subscription.id}
                subscription={subscription}
                onOpen={(kind) => setDialog({ kind, subscription })}
              />
            ))}
          </Table>
        </Card>
        <AlertEventsCard subscriptions={subscriptions.data?.items} />
      </div>
      {creating && <SubscriptionFormDialog onClose={() => setCreating(false)} />}
      {dialog?.kind === 'edit' && (
        <SubscriptionFormDialog subscription={dialog.subscription} onClose={close} />
      )}
      {dialog?.kind === 'delete' && (
        <DeleteSubscriptionDialog subscription={dialog.subscription} onClose={close} />
      )}
    </>
  );
}

function SubscriptionRow({
  subscription,
  onOpen,
}: {
  subscription: AlertSubscriptionDto;
  onOpen: (kind: OpenDialog['kind']) => void;
}) {
  const queryClient = useQueryClient();
  const update = useMutation({
    ...updateAlertSubscriptionMutation(),
    onSuccess: (saved) => {
      toast.success(`Alerts to “${saved.name}” switched ${saved.active ? 'on' : 'off'}`);
      return invalidateAlertSubscriptions(queryClient);
    },
  });
  const { name, active, disabledReason, pausedDeliveries } = subscription;

  return (
    <tr>
      <Cell className="font-medium whitespace-normal text-slate-900">
        {name}
        {!active && (
          <p className="mt-0.5 text-xs font-normal text-slate-500">
            {disabledReason ? `Switched off by webhooker: ${disabledReason}. ` : 'Off: '}
            {pausedDeliveries === 0
              ? 'alerts are kept for it.'
              : `${plural(pausedDeliveries, 'alert waits', 'alerts wait')} for it.`}
          </p>
        )}
        {update.isError && (
          <p className="mt-0.5 text-xs font-normal text-red-600">{errorMessage(update.error)}</p>
        )}
      </Cell>
      <Cell label="Sends to" className="max-sm:min-w-0">
        {subscription.http ? (
          <span className="font-mono text-xs break-all whitespace-normal max-sm:text-right">
            {subscription.http.url}
          </span>
        ) : (
          'Server log'
        )}
      </Cell>
      <Cell label="Events" className="whitespace-normal">
        <span className="inline-flex flex-wrap gap-1 max-sm:justify-end">
          {subscription.eventTypes.map((eventType) => (
            <Badge key={eventType} tone="grey">
              {eventType}
            </Badge>
          ))}
        </span>
      </Cell>
      <Cell label="Active">
        <Switch
          checked={active}
          label={`Alerts to ${name}`}
          disabled={update.isPending}
          onChange={(checked) => update.mutate({ path: { id: subscription.id }, body: { active: checked } })}
        />
      </Cell>
      <Cell className="text-right">
        <span className="inline-flex gap-1 max-sm:-mx-3">
          <Button size="sm" variant="ghost" aria-label={`Edit ${name}`} onClick={() => onOpen('edit')}>
            Edit
          </Button>
          <Button
            size="sm"
            variant="ghost-danger"
            aria-label={`Delete ${name}`}
            onClick={() => onOpen('delete')}
          >
            Delete
          </Button>
        </span>
      </Cell>
    </tr>
  );
}
