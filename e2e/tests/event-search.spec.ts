import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { api, apiLogin, waitUntil, type ApiSession } from '../support/api';
import {
  DESKTOP,
  eventRows,
  openDashboard,
  useSession,
  type Dashboard,
  type Viewport,
} from '../support/dashboard';
import { expectNoHorizontalOverflow, PHONE, SCREENSHOTS } from '../support/layout';
import { startSink, type Sink } from '../support/sink';

interface DeliveryJson {
  status: string;
  circuitOpenUntil: string | null;
}

interface WebhookJson {
  id: string;
  entrypoints: { url: string }[];
}

// Searching events by body text and header value, in a webhook's log and across webhooks; a
// replay's feedback (toast, the row kept with its new status, the replay mark); and a delivery
// held back by an open circuit, which says when the circuit reopens.
describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('event search and replay feedback at %s width', (name, viewport: Viewport) => {
  const folder = path.join(SCREENSHOTS, name);
  const tag = `${name}${Date.now().toString(36)}`;
  let session: ApiSession;
  let sink: Sink;
  let downSink: Sink;
  let dashboard: Dashboard;
  let page: Page;
  let shop: WebhookJson;
  let flaky: WebhookJson;
  let wantedId: string;
  let circuitEventId: string;

  const event = (id: string) => api<{ deliveries: DeliveryJson[] }>(session, 'GET', `/api/v1/events/${id}`);

  /** Sends an event; a new entrypoint answers 404 until every part of the server has heard of it. */
  async function send(url: string, body: object, headers: Record<string, string> = {}): Promise<string> {
    let eventId = '';
    await waitUntil(async () => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      if (response.status === 404) return false;
      if (response.status !== 200)
        throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
      eventId = ((await response.json()) as { eventId: string }).eventId;
      return true;
    }, `${url} takes events`);
    return eventId;
  }

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    sink = await startSink();
    sink.status = 500;
    downSink = await startSink();
    downSink.status = 503;
    session = await apiLogin();
    shop = await api<WebhookJson>(session, 'POST', '/api/v1/webhooks', { name: `Shop ${name}` });
    await api(session, 'POST', `/api/v1/webhooks/${shop.id}/targets`, {
      name: 'billing',
      type: 'http',
      http: { url: sink.url, maxRetries: 0 },
    });
    for (let n = 0; n < 3; n++) {
      await send(`${shop.entrypoints[0]!.url}?order=${n}`, { type: 'order.created', note: `order ${n}` });
    }
    wantedId = await send(
      `${shop.entrypoints[0]!.url}?order=wanted`,
      { type: 'order.created', note: `parcel for Zoë ${tag}-body` },
      { 'x-shop-ref': `${tag}-header` },
    );
    await waitUntil(
      async () => (await event(wantedId)).deliveries.every((delivery) => delivery.status === 'failed'),
      'the delivery failed',
    );

    // Five failures in a row open a target's circuit: five events at once.
    flaky = await api<WebhookJson>(session, 'POST', '/api/v1/webhooks', { name: `Flaky ${name}` });
    await api(session, 'POST', `/api/v1/webhooks/${flaky.id}/targets`, {
      name: 'warehouse',
      type: 'http',
      http: { url: downSink.url, maxRetries: 10 },
    });
    const circuitEvents = await Promise.all(
      [0, 1, 2, 3, 4].map((n) => send(flaky.entrypoints[0]!.url, { type: 'stock.low', n })),
    );
    await waitUntil(async () => {
      for (const id of circuitEvents) {
        if ((await event(id)).deliveries[0]?.circuitOpenUntil) {
          circuitEventId = id;
          return true;
        }
      }
      return false;
    }, 'a delivery waits for the open circuit');

    dashboard = await openDashboard(viewport);
    page = dashboard.page;
    await useSession(page, session);
  });

  afterAll(async () => {
    for (const webhook of [shop, flaky])
      if (webhook) await api(session, 'DELETE', `/api/v1/webhooks/${webhook.id}`);
    await dashboard?.close();
    await sink?.close();
    await downSink?.close();
  });

  it("finds an event by body text and by header value in the webhook's log", async () => {
    await page.goto(`/webhooks/${shop.id}/events`);
    await eventRows(page).first().waitFor();
    expect(await eventRows(page).count()).toBe(4);
    const search = page.getByRole('searchbox', { name: 'Search' });
    await search.fill(`zoë ${tag}-body`);
    await waitUntil(async () => (await eventRows(page).count()) === 1, 'the search leaves one event');
    await eventRows(page).getByText('?order=wanted').waitFor();
    await expectNoHorizontalOverflow(page, viewport);
    await page.screenshot({ path: path.join(folder, '50-event-search.png'), fullPage: true });

    await search.fill(`${tag}-HEADER`);
    await page.waitForURL((url) => url.searchParams.get('q') === `${tag}-HEADER`);
    await waitUntil(async () => (await eventRows(page).count()) === 1, 'the header search leaves one event');
    await eventRows(page).getByText('?order=wanted').waitFor();

    await search.fill('no event has this');
    await page.getByText('No events match this search and these filters.').waitFor();
  });

  it('lists every webhook’s events on the Events page, with the webhook’s name', async () => {
    await page.goto('/events');
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search' }).fill(`${tag}-body`);
    await waitUntil(
      async () => (await eventRows(page).count()) === 1,
      'the search across webhooks finds the event',
    );
    await eventRows(page)
      .getByRole('link', { name: `Shop ${name}` })
      .first()
      .waitFor();
    await expectNoHorizontalOverflow(page, viewport);
    await page.screenshot({ path: path.join(folder, '51-all-events.png'), fullPage: true });
  });

  it('replays a failed delivery: a toast, the row stays with its new status, the card says who replayed it', async () => {
    await page.goto(`/webhooks/${shop.id}/events?status=failed`);
    await waitUntil(async () => (await eventRows(page).count()) === 4, 'the four failed events are listed');
    const row = eventRows(page).filter({ hasText: '?order=wanted' });
    await row.getByRole('button', { name: 'Show details' }).click();
    sink.status = 200;
    await page.getByRole('button', { name: 'Replay delivery to billing' }).click();
    await page.getByText('Replay queued: 1 delivery to billing').waitFor();
    await waitUntil(
      async () => (await event(wantedId)).deliveries[0]?.status === 'delivered',
      'it is delivered',
    );

    // The list refreshes (every 3 s) without the event, which no longer fails: it stays, delivered.
    await row.getByText('No longer matches the filters').waitFor({ timeout: 15_000 });
    await row.getByText('1 delivered').waitFor();
    const card = page.getByRole('listitem', { name: 'Delivery to billing' });
    await card.getByText(/replayed .* by admin/).waitFor();
    await expectNoHorizontalOverflow(page, viewport);
    await page.screenshot({ path: path.join(folder, '52-replay-feedback.png'), fullPage: true });
  });

  it('says when the open circuit a delivery waits for reopens', async () => {
    await page.goto(`/events/${circuitEventId}`);
    await page.getByText(/Waiting: circuit open until \d/).waitFor();
    await expectNoHorizontalOverflow(page, viewport);
    await page.screenshot({ path: path.join(folder, '53-circuit-open.png'), fullPage: true });
  });
});
