import {
  getEventQueryKey,
  listAlertEventsQueryKey,
  listAlertSubscriptionsQueryKey,
  listAllEventsQueryKey,
  getWebhookQueryKey,
  listDeliveryAttemptsQueryKey,
  listEntrypointsQueryKey,
  listBulkOperationsQueryKey,
  listEventsQueryKey,
  listSigningSecretsQueryKey,
  listTargetDeliveriesQueryKey,
  listTargetsOptions,
  listTargetsQueryKey,
  listVerificationPresetsOptions,
  listWebhooksQueryKey,
} from '@webhooker/api-client';
import type { QueryClient } from '@tanstack/react-query';

/** How often the event log and an event's deliveries refresh while the page is visible. */
export const LIVE_REFRESH_MS = 3000;
/** How often the targets' health (circuit state) refreshes on the webhook page. */
export const TARGET_HEALTH_REFRESH_MS = 10_000;
/** How often the overview and the targets' statistics refresh (the rollups move every few seconds). */
export const STATS_REFRESH_MS = 15_000;
/** How often the alerts page refreshes the recent operational events and their deliveries. */
export const ALERTS_REFRESH_MS = 10_000;
/** How often a webhook's page refreshes the webhook itself (its counts). */
export const WEBHOOK_REFRESH_MS = 30_000;
/** How often a webhook's bulk operations refresh while one of them is running. */
export const BULK_OPERATION_REFRESH_MS = 1000;
/** Items per page of the cursor-paginated lists. */
export const PAGE_SIZE = 25;

/** For useInfiniteQuery over the generated `*InfiniteOptions`: the first page is the query as it is. */
export const FIRST_PAGE = {};

/** For useInfiniteQuery over the API's pages: the next cursor, or none at the end. */
export function nextCursor(page: { nextCursor?: string | null }): string | undefined {
  return page.nextCursor ?? undefined;
}

/**
 * A webhook's targets, in one query shared by the webhook page and the event log (which looks
 * target names up in it). 200 is the API's largest page: more targets than that is not a thing.
 */
export function targetsOptions(webhookId: string) {
  return listTargetsOptions({ path: { webhookId }, query: { limit: 200 } });
}

/** The providers' verification schemes: built into the server, they do not change while it runs. */
export function verificationPresetsOptions() {
  return { ...listVerificationPresetsOptions(), staleTime: Infinity };
}

/*
 * The generated query keys are one object each; TanStack matches a filter key partially, so
 * `listEventsQueryKey({ path: { webhookId } })` covers every filter and page of that event log,
 * infinite or not.
 */

/** After a change to a webhook itself: its page, and the lists showing its name and counts. */
export function invalidateWebhook(queryClient: QueryClient, webhookId: string) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: getWebhookQueryKey({ path: { id: webhookId } }) }),
    queryClient.invalidateQueries({ queryKey: listWebhooksQueryKey() }),
  ]);
}

/** After an entrypoint was added, changed (its verification or secrets too) or deleted. */
export function invalidateEntrypoints(queryClient: QueryClient, webhookId: string) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: listEntrypointsQueryKey({ path: { webhookId } }) }),
    invalidateWebhook(queryClient, webhookId),
  ]);
}

/** After a target was added, changed or deleted. */
export function invalidateTargets(queryClient: QueryClient, webhookId: string, targetId?: string) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: listTargetsQueryKey({ path: { webhookId } }) }),
    targetId &&
      queryClient.invalidateQueries({ queryKey: listSigningSecretsQueryKey({ path: { id: targetId } }) }),
    invalidateWebhook(queryClient, webhookId),
  ]);
}

/** After deliveries were queued again (replay) or cancelled (a target deleted). */
export function invalidateDeliveries(
  queryClient: QueryClient,
  scope: { webhookId: string; eventId?: string; targetId?: string; deliveryId?: string },
) {
  const { webhookId, eventId, targetId, deliveryId } = scope;
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: listEventsQueryKey({ path: { webhookId } }) }),
    queryClient.invalidateQueries({ queryKey: listAllEventsQueryKey() }),
    eventId && queryClient.invalidateQueries({ queryKey: getEventQueryKey({ path: { id: eventId } }) }),
    // Which target's failed list changed is not always known (an event replay): refresh them all.
    queryClient.invalidateQueries({
      queryKey: targetId
        ? listTargetDeliveriesQueryKey({ path: { id: targetId } })
        : [{ _id: 'listTargetDeliveries' }],
    }),
    deliveryId &&
      queryClient.invalidateQueries({ queryKey: listDeliveryAttemptsQueryKey({ path: { id: deliveryId } }) }),
  ]);
}

/** After a test event was sent to a target: the event log, the target's deliveries and the webhook's counts. */
export function invalidateTestEvent(queryClient: QueryClient, webhookId: string, targetId: string) {
  return Promise.all([
    invalidateDeliveries(queryClient, { webhookId, targetId }),
    invalidateWebhook(queryClient, webhookId),
  ]);
}

/**
 * After a target was paused or resumed: its waiting deliveries changed status (`paused` ↔
 * `pending`), so the event log and the counts change with it.
 */
export function invalidatePausedTarget(queryClient: QueryClient, webhookId: string, targetId: string) {
  return Promise.all([
    invalidateTargets(queryClient, webhookId, targetId),
    invalidateDeliveries(queryClient, { webhookId, targetId }),
  ]);
}

/** After an alert subscription was created, changed or deleted: the list, and the events naming it. */
export function invalidateAlertSubscriptions(queryClient: QueryClient) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: listAlertSubscriptionsQueryKey() }),
    queryClient.invalidateQueries({ queryKey: listAlertEventsQueryKey() }),
  ]);
}

/** After a bulk replay or cancel was started: its list, and the deliveries it is changing. */
export function invalidateBulkOperations(queryClient: QueryClient, webhookId: string) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: listBulkOperationsQueryKey({ path: { webhookId } }) }),
    queryClient.invalidateQueries({ queryKey: listEventsQueryKey({ path: { webhookId } }) }),
  ]);
}
