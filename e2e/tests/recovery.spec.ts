import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { api, apiLogin, waitUntil, type ApiSession } from '../support/api';
import { DESKTOP, openDashboard, useSession, type Dashboard, type Viewport } from '../support/dashboard';
import { expectNoHorizontalOverflow, expectOnScreen, PHONE, SCREENSHOTS } from '../support/layout';
import { startSink, type Sink } from '../support/sink';

interface DeliveryJson {
  status: string;
}

// The Recovery tab of a webhook: on a phone, replay its failed deliveries once the receiver is
// back; on a desktop, cancel the deliveries waiting for a paused target. Both follow the bulk
// operation to its end.
describe.each([
  ['phone', PHONE, 'replay'],
  ['desktop', DESKTOP, 'cancel'],
] as const)('bulk recovery at %s width', (name, viewport: Viewport, kind) => {
  const folder = path.join(SCREENSHOTS, name);
  let session: ApiSession;
  let sink: Sink;
  let dashboard: Dashboard;
  let page: Page;
  let webhookId: string;
  let targetId: string;
  const eventIds: string[] = [];

  const deliveries = async (): Promise<DeliveryJson[]> =>
    (
      await Promise.all(
        eventIds.map((id) => api<{ deliveries: DeliveryJson[] }>(session, 'GET', `/api/v1/events/${id}`)),
      )
    ).flatMap((event) => event.deliveries);

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    sink = await startSink();
    sink.status = 500;
    session = await apiLogin();
    const webhook = await api<{ id: string; entrypoints: { url: string }[] }>(
      session,
      'POST',
      '/api/v1/webhooks',
      {
        name: `Recovery check (${name})`,
      },
    );
    webhookId = webhook.id;
    const target = await api<{ id: string }>(session, 'POST', `/api/v1/webhooks/${webhookId}/targets`, {
      name: 'billing',
      type: 'http',
      http: { url: sink.url, maxRetries: 0 },
    });
    targetId = target.id;
    if (kind === 'cancel') await api(session, 'POST', `/api/v1/targets/${targetId}/deactivate`);
    for (let n = 0; n < 3; n++) {
      const response = await fetch(webhook.entrypoints[0]!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'invoice.paid', n }),
      });
      eventIds.push(((await response.json()) as { eventId: string }).eventId);
    }
    const waiting = kind === 'replay' ? 'failed' : 'paused';
    await waitUntil(
      async () => (await deliveries()).every((delivery) => delivery.status === waiting),
      `every delivery is ${waiting}`,
    );
    dashboard = await openDashboard(viewport);
    page = dashboard.page;
    await useSession(page, session);
  });

  afterAll(async () => {
    if (webhookId) await api(session, 'DELETE', `/api/v1/webhooks/${webhookId}`);
    await dashboard?.close();
    await sink?.close();
  });

  it(`${kind === 'replay' ? 'replays the failed' : 'cancels the paused'} deliveries and shows the operation's progress`, async () => {
    await page.goto(`/webhooks/${webhookId}`);
    await page.getByRole('link', { name: 'Recovery' }).click();
    const form = page.getByRole('region', { name: 'Replay or cancel by filter' });
    await form.waitFor();
    await expectNoHorizontalOverflow(page, viewport);
    await page.screenshot({ path: path.join(folder, '40-recovery.png'), fullPage: true });

    if (kind === 'cancel') {
      await form.getByLabel('Cancel (never send)').check();
      await form.getByLabel('Pending (not tried yet)').uncheck();
      await form.getByLabel('Paused (waiting for their target)').check();
    } else {
      sink.status = 200;
    }
    await form.getByLabel('Target', { exact: true }).selectOption({ label: 'billing' });
    const submit = form.getByRole('button', { name: kind === 'replay' ? 'Replay…' : 'Cancel deliveries…' });
    await expectOnScreen(submit, viewport, { primary: true });
    await submit.click();

    const confirm = page.getByRole('dialog', {
      name: kind === 'replay' ? 'Replay these deliveries?' : 'Cancel these deliveries?',
    });
    await confirm.waitFor();
    await expectNoHorizontalOverflow(page, viewport);
    const go = confirm.getByRole('button', {
      name: kind === 'replay' ? 'Replay' : 'Cancel deliveries',
      exact: true,
    });
    await expectOnScreen(go, viewport, { primary: true });
    await page.screenshot({ path: path.join(folder, '41-recovery-confirm.png') });
    await go.click();
    await confirm.waitFor({ state: 'detached' });

    const operations = page.getByRole('region', { name: 'Bulk operations' });
    await operations.getByText('3 of 3 deliveries').waitFor({ timeout: 15_000 });
    await operations.getByText('done', { exact: true }).waitFor();
    await expectNoHorizontalOverflow(page, viewport);
    await page.screenshot({ path: path.join(folder, '42-recovery-done.png'), fullPage: true });

    const settled = kind === 'replay' ? 'delivered' : 'cancelled';
    await waitUntil(
      async () => (await deliveries()).every((delivery) => delivery.status === settled),
      `every delivery is ${settled}`,
    );
    expect(sink.requests).toHaveLength(kind === 'replay' ? 6 : 0);
  });
});
