import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { baseUrl } from '../support/base-url';
import { eventRows, logIn, mainNav, openDashboard, type Dashboard } from '../support/dashboard';
import { ADMIN_PASSWORD } from '../support/server';
import { hasValidSignature, startSink, type Sink } from '../support/sink';

const ARTIFACTS = path.join(__dirname, '..', 'artifacts');
const WEBHOOK = 'Stripe payments';
const LOG_TARGET = 'audit log';
const HTTP_TARGET = 'billing service';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const WAIT_MS = 15_000;
const ROUTE_CHANGE_MS = 2_000;

/** POSTs one JSON event to an entrypoint, as a sender would; returns the response. */
async function send(url: string, payload: unknown): Promise<Response> {
  return fetch(`${url}?source=e2e`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'Stripe/1.0 (+https://stripe.com)' },
    body: JSON.stringify(payload),
  });
}

async function sendOk(url: string, payload: unknown): Promise<string> {
  const response = await send(url, payload);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { status: string; eventId: string };
  expect(body.status).toBe('ok');
  return body.eventId;
}

/**
 * Sends probes until the entrypoint answers `status`, for a moment at most: after a change, the
 * API drops its cached route when PostgreSQL notifies it, just after the change's response.
 */
async function expectAnswer(url: string, status: 200 | 410): Promise<void> {
  const deadline = Date.now() + ROUTE_CHANGE_MS;
  let got = 0;
  while (Date.now() < deadline) {
    got = (await send(url, { type: 'probe' })).status;
    if (got === status) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} still answers ${got}, not ${status}`);
}

/** Polls until `check` holds (the dashboard refreshes itself every few seconds). */
async function waitUntil(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** GETs an API path with the dashboard's session cookie. */
async function apiGet<T>(page: Page, apiPath: string): Promise<T> {
  const cookies = await page.context().cookies();
  const response = await fetch(`${baseUrl()}${apiPath}`, {
    headers: { cookie: cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ') },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

interface EventJson {
  deliveries: { targetId: string; status: string }[];
}

function target(page: Page, name: string): Locator {
  return page.getByRole('listitem', { name: `Target ${name}` });
}

describe('webhooks and the event log', () => {
  let dashboard: Dashboard;
  let sink: Sink;
  let webhookPath: string;
  let entrypointUrl: string;
  let signingSecret: string;
  const eventIds: string[] = [];

  beforeAll(async () => {
    sink = await startSink();
    dashboard = await openDashboard();
    await logIn(dashboard.page, 'admin', ADMIN_PASSWORD);
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await dashboard?.close();
    await sink?.close();
  });

  it('creates a webhook, and shows its entrypoint URL with a copy button and a curl example', async () => {
    const { page } = dashboard;
    await mainNav(page).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Create webhook' }).click();

    const form = page.getByRole('dialog', { name: 'Create webhook' });
    await form.getByLabel('Name').fill(WEBHOOK);
    await form.getByLabel('Description').fill('Payment events from Stripe, to billing and the audit log.');
    await form.getByLabel('Retention (days)').fill('14');
    await form.getByRole('button', { name: 'Create webhook' }).click();

    await page.waitForURL(new RegExp(`/webhooks/${UUID}$`));
    webhookPath = new URL(page.url()).pathname;
    await page.getByRole('heading', { name: WEBHOOK, level: 1 }).waitFor();
    expect(await page.getByText('kept 14 days').count()).toBe(1);

    const entrypoints = page.getByRole('region', { name: 'Entrypoints' });
    entrypointUrl = (await entrypoints.getByLabel('Entrypoint URL').textContent()) ?? '';
    expect(entrypointUrl).toMatch(new RegExp(`^${baseUrl()}/webhook/${UUID}$`));
    expect(await entrypoints.locator('pre').textContent()).toBe(
      `curl -X POST ${entrypointUrl} -H 'content-type: application/json' -d '{"hello":"world"}'`,
    );
    expect(await entrypoints.getByRole('switch', { name: `Receive on ${entrypointUrl}` }).isChecked()).toBe(
      true,
    );

    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl() });
    await entrypoints.getByRole('listitem').getByRole('button', { name: 'Copy' }).click();
    await entrypoints.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(entrypointUrl);
  });

  it('adds a log target and an http target, whose signing secret is shown once', async () => {
    const { page } = dashboard;
    await page.getByRole('button', { name: 'Add target' }).click();
    let form = page.getByRole('dialog', { name: 'Add target' });
    await form.getByLabel('Name').fill(LOG_TARGET);
    await form.getByLabel('Type').selectOption('log');
    expect(await form.getByLabel('URL').count()).toBe(0);
    await form.getByRole('button', { name: 'Add target' }).click();
    await form.waitFor({ state: 'detached' });
    await target(page, LOG_TARGET).getByText('log', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'Add target' }).click();
    form = page.getByRole('dialog', { name: 'Add target' });
    await form.getByLabel('Name').fill(HTTP_TARGET);
    await form.getByLabel('URL').fill(sink.url);
    await form.getByText('Advanced settings').click();
    await form.getByLabel('Max retries').fill('0');
    await form.getByLabel('Extra headers').fill('x-receiver-token: e2e-token');
    await form.getByRole('button', { name: 'Add target' }).click();

    const created = page.getByRole('dialog', { name: 'Target created' });
    signingSecret = await created.getByLabel('Signing secret').inputValue();
    expect(signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    await created.getByText('Standard Webhooks', { exact: true }).waitFor();
    await created.getByRole('button', { name: 'Done' }).click();
    await created.waitFor({ state: 'detached' });

    const http = target(page, HTTP_TARGET);
    await http.getByText(sink.url).waitFor();
    expect(await http.textContent()).toContain('no retries (fire-and-forget)');
    expect(await http.getByText('healthy').count()).toBe(1);
    expect(await page.content()).not.toContain(signingSecret);

    // Only the start of the secret is ever shown again.
    await http.getByRole('button', { name: 'Signing secrets' }).click();
    const secrets = page.getByRole('dialog', { name: `Signing secrets of ${HTTP_TARGET}` });
    const prefix = (await secrets.locator('li .font-mono').first().textContent())?.replace(/…$/, '') ?? '-';
    expect(signingSecret.startsWith(prefix)).toBe(true);
    expect(await secrets.getByText('current', { exact: true }).count()).toBe(1);
    await secrets.getByRole('button', { name: 'Close' }).click();
    await secrets.waitFor({ state: 'detached' });
  });

  it('delivers events POSTed to the entrypoint, signed, and the event log shows them as they arrive', async () => {
    const { page } = dashboard;
    await page.getByRole('navigation', { name: 'Webhook' }).getByRole('link', { name: 'Event log' }).click();
    await page.getByText('No events yet').waitFor();

    eventIds.push(await sendOk(entrypointUrl, { type: 'invoice.paid', order: 1, amount: 4200 }));
    eventIds.push(await sendOk(entrypointUrl, { type: 'invoice.paid', order: 2, amount: 1300 }));

    // No reload: the log refreshes itself.
    const delivered = eventRows(page).filter({ hasText: '2 delivered' });
    await waitUntil(async () => (await delivered.count()) === 2, 'both events show 2 delivered');
    expect(await eventRows(page).count()).toBe(2);
    const firstRow = await eventRows(page).first().textContent();
    expect(firstRow).toContain('application/json');
    expect(firstRow).toContain('POST');
    expect(firstRow).toContain('127.0.0.1');

    await waitUntil(() => sink.requests.length === 2, 'the sink got both events');
    for (const request of sink.requests) {
      expect(hasValidSignature(request, signingSecret)).toBe(true);
      expect(request.headers['x-receiver-token']).toBe('e2e-token');
    }
    expect(sink.requests.map((request) => request.headers['webhook-id']).sort()).toEqual(
      [...eventIds].sort(),
    );
  });

  it('expands an event: query, headers, the JSON body pretty-printed, and each delivery with its attempt', async () => {
    const { page } = dashboard;
    // Newest first: the first row is the second event.
    await eventRows(page).first().getByRole('button', { name: 'Show details' }).click();
    const detail = page.getByRole('row').filter({ hasText: `Event ${eventIds[1]}` });
    await detail.waitFor();

    expect(await detail.getByText('?source=e2e').count()).toBe(1);
    const headers = detail.getByRole('table', { name: 'Headers' });
    expect(await headers.getByRole('row', { name: 'content-type' }).textContent()).toContain(
      'application/json',
    );
    expect(await detail.getByLabel('Body').textContent()).toBe(
      JSON.stringify({ type: 'invoice.paid', order: 2, amount: 1300 }, null, 2),
    );

    const http = detail.getByRole('listitem', { name: `Delivery to ${HTTP_TARGET}` });
    await http.getByText('delivered', { exact: true }).waitFor();
    await http.getByText('Attempt 1').waitFor();
    expect(await http.getByText('HTTP 200').count()).toBeGreaterThan(0);
    await http.getByText('Response').click();
    await http.getByText('thanks', { exact: true }).waitFor();
    const log = detail.getByRole('listitem', { name: `Delivery to ${LOG_TARGET}` });
    await log.getByText('delivered', { exact: true }).waitFor();
    await log.getByText('Attempt 1').waitFor();

    await page.screenshot({ path: path.join(ARTIFACTS, 'event-log.png'), fullPage: true });
  });

  it('shows a failed delivery, filters by it, and replays it once the receiver is fixed', async () => {
    const { page } = dashboard;
    await eventRows(page).first().getByRole('button', { name: 'Hide details' }).click();
    sink.status = 500;
    eventIds.push(await sendOk(entrypointUrl, { type: 'invoice.paid', order: 3, amount: 990 }));

    const failedRow = eventRows(page).filter({ hasText: '1 failed' });
    await failedRow.waitFor({ timeout: WAIT_MS });
    expect(await failedRow.textContent()).toContain('1 delivered');

    await page.getByLabel('Delivery status').selectOption('failed');
    await waitUntil(async () => (await eventRows(page).count()) === 1, 'only the failed event is listed');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await waitUntil(async () => (await eventRows(page).count()) === 3, 'all events are listed again');

    await eventRows(page)
      .filter({ hasText: '1 failed' })
      .getByRole('button', { name: 'Show details' })
      .click();
    const detail = page.getByRole('row').filter({ hasText: `Event ${eventIds[2]}` });
    const http = detail.getByRole('listitem', { name: `Delivery to ${HTTP_TARGET}` });
    await http.getByText('failed', { exact: true }).waitFor();
    await http.getByText('last HTTP 500').waitFor();

    sink.status = 200;
    await http.getByRole('button', { name: `Replay delivery to ${HTTP_TARGET}` }).click();
    await http.getByText('delivered', { exact: true }).waitFor({ timeout: WAIT_MS });
    await http.getByText('Attempt 2').waitFor();
    await waitUntil(
      async () => (await eventRows(page).filter({ hasText: '2 delivered' }).count()) === 3,
      'every event shows 2 delivered',
    );
    const replayed = sink.requests.at(-1);
    expect(replayed?.headers['webhook-id']).toBe(eventIds[2]);
  });

  it('replays every failed delivery of a target from its Failed deliveries dialog', async () => {
    const { page } = dashboard;
    await page
      .getByRole('navigation', { name: 'Webhook' })
      .getByRole('link', { name: 'Entrypoints and targets' })
      .click();
    sink.status = 500;
    const eventId = await sendOk(entrypointUrl, { type: 'invoice.paid', order: 4, amount: 10 });
    eventIds.push(eventId);
    const failedDeliveries = async () =>
      (await apiGet<EventJson>(page, `/api/v1/events/${eventId}`)).deliveries.filter(
        (delivery) => delivery.status === 'failed',
      ).length;
    await waitUntil(async () => (await failedDeliveries()) === 1, 'the delivery to the sink failed');

    await target(page, HTTP_TARGET).getByRole('button', { name: 'Failed deliveries' }).click();
    const dialog = page.getByRole('dialog', { name: `Failed deliveries of ${HTTP_TARGET}` });
    await dialog.getByText('HTTP 500').waitFor();
    expect(await dialog.getByRole('link', { name: 'View event' }).getAttribute('href')).toBe(
      `/events/${eventId}`,
    );

    sink.status = 200;
    await dialog.getByRole('button', { name: 'Replay all failed' }).click();
    await dialog.getByRole('status').filter({ hasText: '1 delivery queued again.' }).waitFor();
    await dialog.getByText('No failed deliveries.').waitFor();
    await waitUntil(async () => (await failedDeliveries()) === 0, 'the replayed delivery is done');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('shows the targets with their health; pausing a target keeps its events, resuming delivers them', async () => {
    const { page } = dashboard;
    const log = target(page, LOG_TARGET);
    await log.getByText('active', { exact: true }).waitFor();
    await target(page, HTTP_TARGET).getByText('healthy').waitFor({ timeout: WAIT_MS });
    await page.screenshot({ path: path.join(ARTIFACTS, 'webhook-detail.png'), fullPage: true });

    await log.getByRole('button', { name: 'Pause' }).click();
    const confirm = page.getByRole('dialog', { name: 'Pause target?' });
    expect(await confirm.textContent()).toContain('Its events are kept');
    await confirm.getByRole('button', { name: 'Pause target' }).click();
    await confirm.waitFor({ state: 'detached' });
    await log.getByText('paused', { exact: true }).waitFor();
    await log.getByRole('button', { name: 'Resume' }).waitFor();

    // Events from now on wait for the paused target (once the API's cached route is dropped).
    const deadline = Date.now() + ROUTE_CHANGE_MS;
    let pausedEventId: string;
    let deliveries: EventJson['deliveries'] = [];
    do {
      pausedEventId = await sendOk(entrypointUrl, { type: 'invoice.voided', order: 5 });
      ({ deliveries } = await apiGet<EventJson>(page, `/api/v1/events/${pausedEventId}`));
    } while (!deliveries.some((delivery) => delivery.status === 'paused') && Date.now() < deadline);
    expect(deliveries.map((delivery) => delivery.status)).toContain('paused');
    await log.getByText(/deliver(y waits|ies wait)/).waitFor({ timeout: WAIT_MS });

    await log.getByRole('button', { name: 'Resume' }).click();
    await log.getByText('active', { exact: true }).waitFor();
    await waitUntil(async () => {
      const event = await apiGet<EventJson>(page, `/api/v1/events/${pausedEventId}`);
      return event.deliveries.every((delivery) => delivery.status === 'delivered');
    }, 'the paused delivery is delivered after resuming');
  });

  it('an entrypoint deactivated behind a confirmation answers 410 Gone; active again, it accepts events', async () => {
    const { page } = dashboard;
    const entrypoints = page.getByRole('region', { name: 'Entrypoints' });
    const receiving = entrypoints.getByRole('switch', { name: `Receive on ${entrypointUrl}` });
    await receiving.click();
    const confirm = page.getByRole('dialog', { name: 'Deactivate entrypoint?' });
    await confirm.getByRole('button', { name: 'Deactivate' }).click();
    await confirm.waitFor({ state: 'detached' });
    await entrypoints.getByText('inactive', { exact: true }).waitFor();
    expect(await receiving.isChecked()).toBe(false);
    await expectAnswer(entrypointUrl, 410);
    await receiving.click();
    await entrypoints.getByText('active', { exact: true }).waitFor();
    await expectAnswer(entrypointUrl, 200);
  });

  it('edits the webhook', async () => {
    const { page } = dashboard;
    await page.getByRole('button', { name: 'Edit', exact: true }).first().click();
    const form = page.getByRole('dialog', { name: 'Edit webhook' });
    expect(await form.getByLabel('Retention (days)').inputValue()).toBe('14');
    await form.getByLabel('Name').fill(`${WEBHOOK} (live)`);
    await form.getByLabel('Retention (days)').fill('30');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: `${WEBHOOK} (live)`, level: 1 }).waitFor();
    await page.getByText('kept 30 days').waitFor();
  });

  it('deletes the webhook behind a confirmation, and its entrypoint answers 410 at once', async () => {
    const { page } = dashboard;
    await page.getByRole('button', { name: 'Delete', exact: true }).first().click();
    const confirm = page.getByRole('dialog', { name: 'Delete webhook?' });
    const text = await confirm.textContent();
    expect(text).toContain('410 Gone');
    expect(text).toContain('deleted in the background');
    await confirm.getByRole('button', { name: 'Delete webhook' }).click();

    await page.waitForURL((url) => url.pathname === '/webhooks');
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    // Other test files may leave webhooks of the admin: the list is loaded once Loading… is gone.
    await page.getByText('Loading…').waitFor({ state: 'detached' });
    expect(await page.getByRole('link', { name: `${WEBHOOK} (live)`, exact: true }).count()).toBe(0);
    await expectAnswer(entrypointUrl, 410);
    expect(webhookPath).toMatch(/^\/webhooks\//);
  });
});
