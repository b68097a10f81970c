import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { api, apiLogin, waitUntil, type ApiSession } from '../support/api';
import { DESKTOP, mainNav, openDashboard, useSession, type Dashboard } from '../support/dashboard';
import { expectNoHorizontalOverflow, expectOnScreen, PHONE, SCREENSHOTS } from '../support/layout';
import { hasValidSignature, startSink, type Sink } from '../support/sink';

const WEBHOOK = 'Operations check: orders';
const RATE_LIMITED = 'warehouse';
const PAUSED = 'invoicing';
const GONE = 'retired CRM';
const SUBSCRIPTION = 'on-call';
const NEW_SUBSCRIPTION = 'team chat';
const WAITING_EVENTS = 3;

interface TargetJson {
  id: string;
  active: boolean;
  pausedDeliveries: number;
  disabledReason: string | null;
}

interface AlertEventJson {
  type: string;
  data: { targetId?: string };
  deliveries: { subscriptionId: string; status: string }[];
}

/**
 * Pausing and resuming targets, rate limits and alerts at phone and desktop width: a target
 * paused through the API with deliveries waiting, one paused by webhooker after a 410 Gone (an
 * operational event, sent to a subscription), one with a rate limit.
 */
describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
])('operations at %s width', (name, viewport) => {
  const folder = path.join(SCREENSHOTS, name);
  let session: ApiSession;
  let receiver: Sink;
  let invoicing: Sink;
  let gone: Sink;
  let alerts: Sink;
  let alertSecret: string;
  let subscriptionId: string;
  let dashboard: Dashboard;
  let page: Page;
  let webhookId: string;
  let goneTargetId: string;
  let pausedTargetId: string;
  let entrypointUrl: string;

  const screenshot = (file: string, fullPage = true) =>
    page.screenshot({ path: path.join(folder, `${file}.png`), fullPage });
  const fits = () => expectNoHorizontalOverflow(page, viewport);
  const onScreen = (locator: Locator, options?: { primary?: boolean }) =>
    expectOnScreen(locator, viewport, options);
  const target = (targetName: string) => page.getByRole('listitem', { name: `Target ${targetName}` });
  const subscriptionName = `${SUBSCRIPTION} (${name})`;

  async function navigateTo(link: string): Promise<void> {
    if (viewport === PHONE) await page.getByRole('button', { name: 'Menu', exact: true }).click();
    await mainNav(page).getByRole('link', { name: link }).click();
  }

  async function addTarget(body: object): Promise<TargetJson> {
    return api<TargetJson>(session, 'POST', `/api/v1/webhooks/${webhookId}/targets`, body);
  }

  let order = 0;
  async function sendEvent(): Promise<void> {
    const response = await fetch(entrypointUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'order.created', order: ++order }),
    });
    expect(response.status).toBe(200);
  }

  /**
   * Sends events until `count` deliveries wait for the paused target: until the API's cached
   * route drops a target just paused, an event may still be sent to it.
   */
  async function sendUntilWaiting(count: number): Promise<void> {
    await waitUntil(async () => {
      await sendEvent();
      const { pausedDeliveries } = await api<TargetJson>(session, 'GET', `/api/v1/targets/${pausedTargetId}`);
      return pausedDeliveries >= count;
    }, `${count} deliveries wait for the paused target`);
  }

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    [receiver, invoicing, gone, alerts] = await Promise.all([
      startSink(),
      startSink(),
      startSink(),
      startSink(),
    ]);
    gone.status = 410;
    session = await apiLogin();

    const subscription = await api<{ id: string; signingSecret: string }>(
      session,
      'POST',
      '/api/v1/alerts/subscriptions',
      {
        name: subscriptionName,
        type: 'http',
        eventTypes: ['target.disabled', 'delivery.failed'],
        http: { url: alerts.url },
      },
    );
    subscriptionId = subscription.id;
    alertSecret = subscription.signingSecret;

    const webhook = await api<{ id: string; entrypoints: { url: string }[] }>(
      session,
      'POST',
      '/api/v1/webhooks',
      {
        name: `${WEBHOOK} (${name})`,
      },
    );
    webhookId = webhook.id;
    await addTarget({
      name: RATE_LIMITED,
      type: 'http',
      http: { url: receiver.url, rateLimit: { perSecond: 2.5, burst: 5 } },
    });
    pausedTargetId = (await addTarget({ name: PAUSED, type: 'http', http: { url: invoicing.url } })).id;
    await api(session, 'POST', `/api/v1/targets/${pausedTargetId}/deactivate`);
    goneTargetId = (await addTarget({ name: GONE, type: 'http', http: { url: gone.url, maxRetries: 0 } })).id;
    entrypointUrl = webhook.entrypoints[0].url;
    await sendUntilWaiting(WAITING_EVENTS);

    await waitUntil(async () => {
      const events = await api<{ items: AlertEventJson[] }>(session, 'GET', '/api/v1/alerts/events');
      return events.items.some(
        (event) =>
          event.type === 'target.disabled' &&
          event.data.targetId === goneTargetId &&
          event.deliveries.some(
            (delivery) => delivery.subscriptionId === subscriptionId && delivery.status === 'delivered',
          ),
      );
    }, 'the 410 Gone paused a target and the alert was delivered');
    expect(alerts.requests.some((request) => hasValidSignature(request, alertSecret))).toBe(true);

    dashboard = await openDashboard(viewport);
    page = dashboard.page;
    await useSession(page, session);
  });

  afterAll(async () => {
    // Other test files count webhooks: leave none behind, and no subscription that would alert about theirs.
    if (webhookId) await api(session, 'DELETE', `/api/v1/webhooks/${webhookId}`);
    if (session) {
      const subscriptions = await api<{ items: { id: string; name: string }[] }>(
        session,
        'GET',
        '/api/v1/alerts/subscriptions',
      );
      for (const subscription of subscriptions.items.filter((item) => item.name.endsWith(`(${name})`))) {
        await api(session, 'DELETE', `/api/v1/alerts/subscriptions/${subscription.id}`);
      }
    }
    await Promise.all([receiver?.close(), invoicing?.close(), gone?.close(), alerts?.close()]);
    await dashboard?.close();
  });

  it('webhook page: a paused target with waiting deliveries, one paused by webhooker, a rate limit', async () => {
    await page.goto(`/webhooks/${webhookId}`);
    await page.getByRole('heading', { name: `${WEBHOOK} (${name})`, level: 1 }).waitFor();
    const paused = target(PAUSED);
    await paused.getByText('paused', { exact: true }).waitFor();
    await paused.getByText(/deliveries wait; they go out oldest first/).waitFor();
    await target(GONE).getByText('Paused by webhooker').waitFor();
    await target(GONE)
      .getByText(/the receiver answered 410 Gone/)
      .waitFor();
    await target(RATE_LIMITED)
      .getByText(/≤ 2\.5\/s \(bursts of 5\)/)
      .waitFor();
    await fits();
    await onScreen(paused.getByRole('button', { name: 'Resume' }));
    await onScreen(target(RATE_LIMITED).getByRole('button', { name: 'Pause' }));
    await screenshot('30-targets-paused');

    // Resume: the waiting deliveries go out; pause again, behind a confirmation.
    const waiting = (await api<TargetJson>(session, 'GET', `/api/v1/targets/${pausedTargetId}`))
      .pausedDeliveries;
    await paused.getByRole('button', { name: 'Resume' }).click();
    await paused.getByText('active', { exact: true }).waitFor();
    await waitUntil(
      async () => invoicing.requests.length === waiting,
      'the waiting deliveries are delivered',
    );
    await paused.getByRole('button', { name: 'Pause' }).click();
    const confirm = page.getByRole('dialog', { name: 'Pause target?' });
    await confirm.waitFor();
    await fits();
    await onScreen(confirm.getByRole('button', { name: 'Pause target' }), { primary: true });
    await screenshot('31-pause-target', false);
    await confirm.getByRole('button', { name: 'Pause target' }).click();
    await confirm.waitFor({ state: 'detached' });
    await paused.getByText('paused', { exact: true }).waitFor();
    await paused.getByText('No deliveries wait yet; new events are kept for it.').waitFor();
  });

  it('target form: the rate limit is shown, cleared and set again', async () => {
    const limited = target(RATE_LIMITED);
    await limited.getByRole('button', { name: 'Edit' }).click();
    const form = page.getByRole('dialog', { name: `Edit ${RATE_LIMITED}` });
    const perSecond = form.getByLabel('Deliveries per second');
    expect(await perSecond.inputValue()).toBe('2.5');
    expect(await form.getByLabel('Burst').inputValue()).toBe('5');
    await onScreen(perSecond);
    await fits();
    await screenshot('32-rate-limit', false);

    await perSecond.fill('');
    await form.getByLabel('Burst').fill('');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    await limited.getByText(/in flight$/).waitFor();
    expect(await limited.getByText('≤', { exact: false }).count()).toBe(0);

    await limited.getByRole('button', { name: 'Edit' }).click();
    await form.getByLabel('Deliveries per second').fill('0.5');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    await limited.getByText(/≤ 0\.5\/s \(bursts of 1\)/).waitFor();
  });

  it('event log: the status filter offers paused', async () => {
    await sendUntilWaiting(1);
    await page.getByRole('navigation', { name: 'Webhook' }).getByRole('link', { name: 'Event log' }).click();
    // The filters fold under the search on a phone.
    if (viewport === PHONE) await page.getByRole('button', { name: 'Filters', exact: true }).click();
    await page.getByLabel('Delivery status').selectOption('paused');
    await page
      .getByRole('row')
      .filter({ hasText: /\d+ paused/ })
      .first()
      .waitFor();
    await fits();
  });

  it('alerts: subscriptions, recent operational events, and adding and deleting a subscription', async () => {
    await navigateTo('Alerts');
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
    const row = page.getByRole('row').filter({ hasText: subscriptionName });
    await row.getByText(alerts.url).waitFor();
    const event = page
      .getByRole('listitem', { name: 'target.disabled event' })
      .filter({ hasText: `target ${GONE}` })
      .first();
    await event.getByText('Paused by webhooker: the receiver answered 410 Gone.').waitFor();
    await event.getByRole('link', { name: `${WEBHOOK} (${name})` }).waitFor();
    await event.getByRole('list', { name: 'Alert deliveries' }).getByText('delivered').first().waitFor();
    await fits();
    await onScreen(page.getByRole('button', { name: 'Add subscription' }), { primary: true });
    await onScreen(row.getByRole('switch', { name: `Alerts to ${subscriptionName}` }));
    await onScreen(row.getByRole('button', { name: `Delete ${subscriptionName}` }));
    await screenshot('33-alerts');

    await page.getByRole('button', { name: 'Add subscription' }).click();
    const form = page.getByRole('dialog', { name: 'Add subscription' });
    await form.getByLabel('Name').fill(`${NEW_SUBSCRIPTION} (${name})`);
    await form.getByLabel('URL').fill(alerts.url);
    await form.getByLabel('target.circuit_opened').check();
    await fits();
    await onScreen(form.getByRole('button', { name: 'Add subscription' }), { primary: true });
    await screenshot('34-add-subscription', false);
    await form.getByRole('button', { name: 'Add subscription' }).click();
    const created = page.getByRole('dialog', { name: 'Subscription created' });
    expect(await created.getByLabel('Signing secret').inputValue()).toMatch(/^whsec_/);
    await fits();
    await onScreen(created.getByRole('button', { name: 'Copy' }).first());
    await onScreen(created.getByRole('button', { name: 'Done' }), { primary: true });
    await screenshot('35-subscription-created', false);
    await created.getByRole('button', { name: 'Done' }).click();

    const added = page.getByRole('row').filter({ hasText: `${NEW_SUBSCRIPTION} (${name})` });
    await added.getByText('target.circuit_opened').waitFor();
    await added.getByRole('button', { name: `Delete ${NEW_SUBSCRIPTION} (${name})` }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete subscription?' });
    await confirm.waitFor();
    await fits();
    await screenshot('36-delete-subscription', false);
    await confirm.getByRole('button', { name: 'Delete subscription' }).click();
    await added.waitFor({ state: 'detached' });
  });
});
