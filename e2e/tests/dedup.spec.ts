import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { api, apiLogin, waitUntil, type ApiSession } from '../support/api';
import { DESKTOP, openDashboard, useSession, type Dashboard, type Viewport } from '../support/dashboard';
import { expectNoHorizontalOverflow, expectOnScreen, PHONE, SCREENSHOTS } from '../support/layout';

interface EntrypointJson {
  id: string;
  url: string;
  duplicateCount: number;
}

/** POSTs a GitHub-style delivery with its delivery id; returns the answer. */
async function sendDelivery(url: string, deliveryId: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-delivery': deliveryId },
    body: JSON.stringify({ action: 'opened', number: 7 }),
  });
}

// The dashboard turns deduplication on for an entrypoint (by GitHub's delivery header); a
// repeated delivery is then answered with the first event's id, and the card counts it.
describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('duplicates at %s width', (name, viewport: Viewport) => {
  const folder = path.join(SCREENSHOTS, name);
  let session: ApiSession;
  let dashboard: Dashboard;
  let page: Page;
  let webhookId: string;
  let entrypoint: EntrypointJson;

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    session = await apiLogin();
    const webhook = await api<{ id: string; entrypoints: EntrypointJson[] }>(
      session,
      'POST',
      '/api/v1/webhooks',
      {
        name: `Dedup check (${name})`,
      },
    );
    webhookId = webhook.id;
    entrypoint = webhook.entrypoints[0]!;
    await api(session, 'PATCH', `/api/v1/entrypoints/${entrypoint.id}`, { description: 'GitHub repo' });
    await api(session, 'POST', `/api/v1/webhooks/${webhookId}/targets`, { name: 'log', type: 'log' });
    dashboard = await openDashboard(viewport);
    page = dashboard.page;
    await useSession(page, session);
  });

  afterAll(async () => {
    if (webhookId) await api(session, 'DELETE', `/api/v1/webhooks/${webhookId}`);
    await dashboard?.close();
  });

  it('turns deduplication on by a header; a repeated delivery counts as a duplicate', async () => {
    await page.goto(`/webhooks/${webhookId}`);
    const item = page
      .getByRole('region', { name: 'Entrypoints' })
      .getByRole('listitem', { name: 'Entrypoint GitHub repo' });
    await item.getByText('Duplicates are delivered like any event.').waitFor();
    await item.getByRole('button', { name: 'Duplicates', exact: true }).click();

    const dialog = page.getByRole('dialog', { name: 'Duplicates' });
    await dialog.waitFor();
    await dialog.getByLabel('A request header the sender sets per delivery').check();
    await dialog.getByLabel('Header', { exact: true }).fill('X-GitHub-Delivery');
    await dialog.getByLabel('Window (hours)').fill('1');
    await expectNoHorizontalOverflow(page, viewport);
    const save = dialog.getByRole('button', { name: 'Save', exact: true });
    await expectOnScreen(save, viewport, { primary: true });
    await page.screenshot({ path: path.join(folder, '60-dedup-dialog.png') });
    await save.click();
    await dialog.waitFor({ state: 'detached' });
    await item.getByText('by the x-github-delivery header, for 1 h').waitFor();

    const first = (await (await sendDelivery(entrypoint.url, `delivery-${name}`)).json()) as {
      eventId: string;
    };
    await waitUntil(async () => {
      const repeat = await sendDelivery(entrypoint.url, `delivery-${name}`);
      const { eventId } = (await repeat.json()) as { eventId: string };
      return repeat.headers.get('webhooker-duplicate') === 'true' && eventId === first.eventId;
    }, 'a repeated delivery is answered as a duplicate of the first');
    await page.reload();
    await item.getByText(/^[1-9]\d* duplicates?$/).waitFor();
    await expectNoHorizontalOverflow(page, viewport);
    await page.screenshot({ path: path.join(folder, '61-dedup-card.png'), fullPage: true });
  });
});
