import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { api, apiLogin, waitUntil, type ApiSession } from '../support/api';
import { DESKTOP, eventRows, logIn, mainNav, openDashboard, type Dashboard } from '../support/dashboard';
import { expectNoHorizontalOverflow, expectOnScreen, PHONE, SCREENSHOTS } from '../support/layout';
import { ADMIN_PASSWORD } from '../support/server';
import { startSink, type Sink } from '../support/sink';

const WEBHOOK = 'Phone check: payments from the shop';
const HTTP_TARGET = 'fulfilment service';
const LOG_TARGET = 'audit log';
const MEMBER = 'phone-check-member';
const API_KEY = 'phone-check deploy key';

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
])('every page at %s width', (name, viewport) => {
  const folder = path.join(SCREENSHOTS, name);
  let session: ApiSession;
  let sink: Sink;
  let dashboard: Dashboard;
  let page: Page;
  let webhookId: string;
  let failedEventId: string;

  /** The whole page; with a dialog open, the screen as it is (the dialog is fixed to it). */
  const screenshot = (file: string, fullPage = true) =>
    page.screenshot({ path: path.join(folder, `${file}.png`), fullPage });
  const fits = () => expectNoHorizontalOverflow(page, viewport);
  const webhookLink = () => page.getByRole('link', { name: `${WEBHOOK} (${name})`, exact: true });
  const onScreen = (locator: Locator, options?: { primary?: boolean }) =>
    expectOnScreen(locator, viewport, options);

  /** Opens the dialog, checks it fits with its buttons on screen, takes its picture, closes it. */
  async function checkDialog(
    open: Locator,
    title: string,
    buttons: string[],
    { file, close = 'Cancel' }: { file: string; close?: string },
  ): Promise<Locator> {
    await open.click();
    const dialog = page.getByRole('dialog', { name: title });
    await dialog.waitFor();
    await fits();
    for (const button of buttons) {
      await onScreen(dialog.getByRole('button', { name: button, exact: true }), { primary: true });
    }
    await screenshot(file, false);
    if (close) {
      await dialog.getByRole('button', { name: close, exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
    }
    return dialog;
  }

  /** On a phone the navigation is behind the menu button; on a desktop it is always there. */
  async function navigateTo(link: string): Promise<void> {
    if (viewport === PHONE) await page.getByRole('button', { name: 'Menu', exact: true }).click();
    await mainNav(page).getByRole('link', { name: link }).click();
  }

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    sink = await startSink();
    // The http target fails every delivery: the event log then shows a failed one.
    sink.status = 500;
    session = await apiLogin();
    const webhook = await api<{ id: string; entrypoints: { id: string; url: string }[] }>(
      session,
      'POST',
      '/api/v1/webhooks',
      {
        name: `${WEBHOOK} (${name})`,
        description: 'Orders and refunds from the web shop, to fulfilment and the audit log.',
      },
    );
    webhookId = webhook.id;
    await api(session, 'POST', `/api/v1/webhooks/${webhookId}/entrypoints`, { description: 'Backup sender' });
    await api(session, 'POST', `/api/v1/webhooks/${webhookId}/targets`, {
      name: HTTP_TARGET,
      type: 'http',
      http: { url: sink.url, maxRetries: 0, headers: { 'x-receiver-token': 'phone-check' } },
    });
    await api(session, 'POST', `/api/v1/webhooks/${webhookId}/targets`, { name: LOG_TARGET, type: 'log' });
    const response = await fetch(`${webhook.entrypoints[0].url}?source=phone-check&attempt=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'order.created',
        order: { id: 1042, total: 99.5, items: ['mug', 'tee'] },
      }),
    });
    failedEventId = ((await response.json()) as { eventId: string }).eventId;
    await waitUntil(async () => {
      const event = await api<{ deliveries: { status: string }[] }>(
        session,
        'GET',
        `/api/v1/events/${failedEventId}`,
      );
      return event.deliveries.some((delivery) => delivery.status === 'failed');
    }, 'the delivery to the http target failed');
    await api(session, 'POST', '/api/v1/api-keys', { name: `${API_KEY} (${name})` });
    await api(session, 'POST', '/api/v1/users', { username: `${MEMBER}-${name}` });

    dashboard = await openDashboard(viewport);
    page = dashboard.page;
  });

  afterAll(async () => {
    // Other test files count webhooks and keys: leave none behind (users cannot be deleted).
    if (webhookId) await api(session, 'DELETE', `/api/v1/webhooks/${webhookId}`);
    if (session) {
      const keys = await api<{ items: { id: string; name: string }[] }>(session, 'GET', '/api/v1/api-keys');
      for (const key of keys.items.filter((item) => item.name.startsWith(API_KEY))) {
        await api(session, 'DELETE', `/api/v1/api-keys/${key.id}`);
      }
    }
    await sink?.close();
    await dashboard?.close();
  });

  it('login', async () => {
    await page.goto('/login');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await fits();
    await onScreen(page.getByRole('button', { name: 'Log in' }), { primary: true });
    await screenshot('01-login');
    await logIn(page, 'admin', ADMIN_PASSWORD);
  });

  it('overview, and the navigation with every entry and the user menu', async () => {
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.getByText(`${WEBHOOK} (${name})`, { exact: true }).waitFor();
    await fits();
    await screenshot('02-overview');

    const menu = page.getByRole('button', { name: 'Menu', exact: true });
    if (viewport === PHONE) {
      await onScreen(menu, { primary: true });
      expect(await menu.getAttribute('aria-expanded')).toBe('false');
      expect(await mainNav(page).count()).toBe(0);
      await menu.click();
      expect(await menu.getAttribute('aria-expanded')).toBe('true');
      await screenshot('03-menu');
    } else {
      expect(await menu.isVisible()).toBe(false);
      await page.getByRole('button', { name: 'User menu (admin)' }).click();
    }
    for (const link of ['Overview', 'Webhooks', 'Alerts', 'API keys', 'Users']) {
      await onScreen(mainNav(page).getByRole('link', { name: link }), { primary: true });
    }
    await onScreen(page.getByRole('link', { name: 'Account' }), { primary: true });
    await onScreen(page.getByRole('button', { name: 'Log out' }), { primary: true });
    await fits();

    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Log out' }).waitFor({ state: 'hidden' });
    if (viewport === PHONE) {
      expect(await menu.getAttribute('aria-expanded')).toBe('false');
      await mainNav(page).waitFor({ state: 'detached' });
      // Following a link closes the menu too.
      await navigateTo('API keys');
      await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
      expect(await menu.getAttribute('aria-expanded')).toBe('false');
      expect(await mainNav(page).count()).toBe(0);
    }
  });

  it('webhooks list and its create dialog', async () => {
    await navigateTo('Webhooks');
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await webhookLink().waitFor();
    await fits();
    const create = page.getByRole('button', { name: 'Create webhook' });
    await onScreen(create, { primary: true });
    await onScreen(webhookLink());
    await screenshot('04-webhooks');
    await checkDialog(create, 'Create webhook', ['Cancel', 'Create webhook'], { file: '05-create-webhook' });
  });

  it('webhook detail: entrypoints with copy and curl, targets with their actions and dialogs', async () => {
    await webhookLink().click();
    await page.getByRole('heading', { name: `${WEBHOOK} (${name})`, level: 1 }).waitFor();
    const entrypoints = page.getByRole('region', { name: 'Entrypoints' });
    const http = page.getByRole('listitem', { name: `Target ${HTTP_TARGET}` });
    await http.getByText(sink.url).waitFor();
    await fits();
    await screenshot('06-webhook');

    await onScreen(page.getByRole('button', { name: 'Edit', exact: true }).first(), { primary: true });
    await onScreen(page.getByRole('button', { name: 'Delete', exact: true }).first(), { primary: true });
    for (const copy of await entrypoints.getByRole('button', { name: 'Copy' }).all()) await onScreen(copy);
    await onScreen(entrypoints.locator('pre'));
    await onScreen(entrypoints.getByRole('button', { name: 'Add entrypoint' }));
    for (const action of ['Failed deliveries', 'Signing secrets', 'Edit', 'Pause', 'Delete']) {
      await onScreen(http.getByRole('button', { name: action, exact: true }));
    }

    await checkDialog(
      page.getByRole('button', { name: 'Edit', exact: true }).first(),
      'Edit webhook',
      ['Save'],
      {
        file: '07-edit-webhook',
      },
    );
    await checkDialog(
      entrypoints.getByRole('button', { name: 'Add entrypoint' }),
      'Add entrypoint',
      ['Add entrypoint'],
      {
        file: '08-add-entrypoint',
      },
    );
    const addTarget = await checkDialog(
      page.getByRole('button', { name: 'Add target' }),
      'Add target',
      ['Add target'],
      {
        file: '09-add-target',
        close: '',
      },
    );
    // Opened up, the form is taller than a phone: its buttons stay reachable.
    await addTarget.getByText('Advanced settings').click();
    await fits();
    await onScreen(addTarget.getByRole('button', { name: 'Add target' }), { primary: true });
    await screenshot('10-add-target-advanced', false);
    await addTarget.getByRole('button', { name: 'Cancel' }).click();
    await addTarget.waitFor({ state: 'detached' });

    const secrets = await checkDialog(
      http.getByRole('button', { name: 'Signing secrets' }),
      `Signing secrets of ${HTTP_TARGET}`,
      ['Rotate', 'Close'],
      { file: '11-signing-secrets', close: '' },
    );
    await onScreen(secrets.getByRole('button', { name: /^Revoke / }));
    await secrets.getByRole('button', { name: 'Close' }).click();
    await secrets.waitFor({ state: 'detached' });

    const failed = await checkDialog(
      http.getByRole('button', { name: 'Failed deliveries' }),
      `Failed deliveries of ${HTTP_TARGET}`,
      ['Close', 'Replay all failed'],
      { file: '12-failed-deliveries', close: '' },
    );
    await onScreen(failed.getByRole('link', { name: 'View event' }));
    await failed.getByRole('button', { name: 'Close' }).click();
    await failed.waitFor({ state: 'detached' });

    await checkDialog(
      http.getByRole('button', { name: 'Delete', exact: true }),
      'Delete target?',
      ['Cancel', 'Delete target'],
      {
        file: '13-delete-target',
      },
    );
  });

  it('event log: filters, the deliveries status, and an expanded event', async () => {
    await page.getByRole('navigation', { name: 'Webhook' }).getByRole('link', { name: 'Event log' }).click();
    const row = eventRows(page).filter({ hasText: '1 failed' });
    await row.waitFor();
    await fits();
    // The filters fold under the search on a phone.
    if (viewport === PHONE) await page.getByRole('button', { name: 'Filters', exact: true }).click();
    await onScreen(page.getByLabel('Delivery status'));
    await onScreen(page.getByLabel('Received before'));
    await onScreen(row.getByText('1 failed'));
    await onScreen(row.getByText('1 delivered'));
    await onScreen(row.getByRole('button', { name: 'Show details' }), { primary: true });
    await screenshot('14-event-log');

    await row.getByRole('button', { name: 'Show details' }).click();
    const detail = page.getByRole('row').filter({ hasText: `Event ${failedEventId}` });
    const delivery = detail.getByRole('listitem', { name: `Delivery to ${HTTP_TARGET}` });
    await delivery.getByText('Attempt 1').waitFor();
    await fits();
    await onScreen(detail.getByRole('table', { name: 'Headers' }).getByRole('row', { name: 'content-type' }));
    await onScreen(detail.getByRole('button', { name: 'Replay event' }));
    await onScreen(delivery.getByText('failed', { exact: true }));
    await onScreen(delivery.getByRole('button', { name: `Replay delivery to ${HTTP_TARGET}` }));
    await delivery.getByText('Response').click();
    await delivery.getByText('receiver is down for maintenance').waitFor();
    await fits();
    await screenshot('15-event-expanded');
  });

  it('event page', async () => {
    await page.goto(`/events/${failedEventId}`);
    const delivery = page.getByRole('listitem', { name: `Delivery to ${HTTP_TARGET}` });
    await delivery.getByText('Attempt 1').waitFor();
    await page.getByRole('link', { name: 'Event log' }).waitFor();
    await fits();
    await onScreen(page.getByRole('button', { name: 'Replay event' }));
    await onScreen(delivery.getByText('failed', { exact: true }));
    await screenshot('16-event');
  });

  it('API keys: the list, the create dialog and the key shown once', async () => {
    await navigateTo('API keys');
    const row = page.getByRole('row').filter({ hasText: `${API_KEY} (${name})` });
    await row.waitFor();
    await fits();
    await onScreen(row.getByRole('button', { name: /^Revoke / }));
    await screenshot('17-api-keys');

    const form = await checkDialog(
      page.getByRole('button', { name: 'Create API key' }),
      'Create API key',
      ['Cancel', 'Create API key'],
      { file: '18-create-api-key', close: '' },
    );
    await form.getByLabel('Name').fill(`${API_KEY} (${name}, shown once)`);
    await form.getByRole('button', { name: 'Create API key' }).click();
    const created = page.getByRole('dialog', { name: 'API key created' });
    await created.getByLabel('API key').waitFor();
    await fits();
    await onScreen(created.getByRole('button', { name: 'Done' }), { primary: true });
    for (const copy of await created.getByRole('button', { name: 'Copy' }).all()) await onScreen(copy);
    await screenshot('19-api-key-created', false);
    await created.getByRole('button', { name: 'Done' }).click();
    await created.waitFor({ state: 'detached' });

    await checkDialog(
      row.getByRole('button', { name: /^Revoke / }),
      'Revoke API key?',
      ['Cancel', 'Revoke'],
      {
        file: '20-revoke-api-key',
      },
    );
  });

  it('users: the list with row actions, and the create dialog', async () => {
    await navigateTo('Users');
    const row = page.getByRole('row').filter({ hasText: `${MEMBER}-${name}` });
    await row.waitFor();
    await fits();
    for (const action of ['Make admin', 'Disable', 'Reset password']) {
      await onScreen(row.getByRole('button', { name: action }));
    }
    await onScreen(page.getByRole('button', { name: 'Create user' }), { primary: true });
    await screenshot('21-users');
    await checkDialog(
      page.getByRole('button', { name: 'Create user' }),
      'Create user',
      ['Cancel', 'Create user'],
      {
        file: '22-create-user',
      },
    );
    await checkDialog(
      row.getByRole('button', { name: 'Disable' }),
      `Disable ${MEMBER}-${name}?`,
      ['Cancel', 'Disable'],
      {
        file: '23-disable-user',
      },
    );
  });

  it('account, and logging out', async () => {
    if (viewport === PHONE) await page.getByRole('button', { name: 'Menu', exact: true }).click();
    else await page.getByRole('button', { name: 'User menu (admin)' }).click();
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    await fits();
    await onScreen(page.getByRole('button', { name: 'Change password' }), { primary: true });
    await screenshot('24-account');

    if (viewport === PHONE) await page.getByRole('button', { name: 'Menu', exact: true }).click();
    else await page.getByRole('button', { name: 'User menu (admin)' }).click();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
  });
});
