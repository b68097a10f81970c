import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { api, apiLogin, waitUntil, type ApiSession } from '../support/api';
import { DESKTOP, openDashboard, useSession, type Dashboard, type Viewport } from '../support/dashboard';
import { expectNoHorizontalOverflow, PHONE, SCREENSHOTS } from '../support/layout';

interface EventJson {
  deliveries: { targetId: string; status: string }[];
}

// A target whose filter an event does not match gets a `skipped` delivery: the event page shows it
// with the reason, without a Replay button, next to the delivery of the target that took the event.
describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('skipped deliveries at %s width', (name, viewport: Viewport) => {
  const folder = path.join(SCREENSHOTS, name);
  let session: ApiSession;
  let dashboard: Dashboard;
  let page: Page;
  let webhookId: string;
  let eventId: string;

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    session = await apiLogin();
    const webhook = await api<{ id: string; entrypoints: { url: string }[] }>(
      session,
      'POST',
      '/api/v1/webhooks',
      { name: `Filters (${name})` },
    );
    webhookId = webhook.id;
    await api(session, 'POST', `/api/v1/webhooks/${webhookId}/targets`, {
      name: 'Paid invoices only',
      type: 'log',
      filter: { body: { type: 'invoice.paid' } },
    });
    await api(session, 'POST', `/api/v1/webhooks/${webhookId}/targets`, { name: 'Everything', type: 'log' });
    const answer = await fetch(webhook.entrypoints[0]!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'invoice.created', amount: 1200 }),
    });
    eventId = ((await answer.json()) as { eventId: string }).eventId;
    await waitUntil(async () => {
      const event = await api<EventJson>(session, 'GET', `/api/v1/events/${eventId}`);
      return event.deliveries.every((delivery) => ['delivered', 'skipped'].includes(delivery.status));
    }, 'the event is delivered to one target and skipped by the other');
    dashboard = await openDashboard(viewport);
    page = dashboard.page;
    await useSession(page, session);
  });

  afterAll(async () => {
    if (webhookId) await api(session, 'DELETE', `/api/v1/webhooks/${webhookId}`);
    await dashboard?.close();
  });

  it('shows the skipped delivery with its reason and no Replay', async () => {
    await page.goto(`/events/${eventId}`);
    const skipped = page.getByRole('listitem', { name: 'Delivery to Paid invoices only' });
    await skipped.getByText('skipped', { exact: true }).waitFor();
    await skipped.getByText("Not sent: the target's filter does not match this event").waitFor();
    expect(await skipped.getByRole('button', { name: /^Replay/ }).count()).toBe(0);
    expect(await skipped.getByText(/attempt/i).count()).toBe(0);
    const delivered = page.getByRole('listitem', { name: 'Delivery to Everything' });
    await delivered.getByText('delivered', { exact: true }).waitFor();
    expect(await delivered.getByRole('button', { name: 'Replay delivery to Everything' }).count()).toBe(1);
    await expectNoHorizontalOverflow(page, viewport);
    await page.screenshot({ path: path.join(folder, '70-skipped-delivery.png'), fullPage: true });
  });
});
