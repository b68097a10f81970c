import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { api, apiLogin, type ApiSession } from '../support/api';
import {
  DESKTOP,
  logIn,
  openDashboard,
  useSession,
  type Dashboard,
  type Viewport,
} from '../support/dashboard';
import { expectOnScreen, PHONE, SCREENSHOTS } from '../support/layout';

const WEBHOOK = 'Feedback check';
const MEMBER_PASSWORD = 'feedback-member-password';

/** A toast of the one toast host. */
function toast(page: Page, text: string): Locator {
  return page.getByRole('region', { name: /^Notifications/ }).getByText(text, { exact: true });
}

/** The message the control's field shows under it (its accessible description), or null. */
function fieldMessage(control: Locator): Promise<string | null> {
  return control.evaluate((element) => {
    if (element.getAttribute('aria-invalid') !== 'true') return null;
    const id = element.getAttribute('aria-describedby');
    return (id && document.getElementById(id)?.textContent) || null;
  });
}

/** Logs out from the user menu (on a phone, from the menu). */
async function logOut(page: Page, viewport: Viewport): Promise<void> {
  await page
    .getByRole('button', { name: viewport === PHONE ? 'Menu' : /^User menu/, exact: viewport === PHONE })
    .click();
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL((url) => url.pathname === '/login');
}

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
])('feedback at %s width', (name, viewport) => {
  let session: ApiSession;
  let dashboard: Dashboard;
  let page: Page;
  let webhookId: string;
  const folder = path.join(SCREENSHOTS, name);
  const screenshot = (on: Page, file: string) =>
    on.screenshot({ path: path.join(folder, `feedback-${file}.png`) });

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    session = await apiLogin();
    webhookId = (
      await api<{ id: string }>(session, 'POST', '/api/v1/webhooks', { name: `${WEBHOOK} (${name})` })
    ).id;
    dashboard = await openDashboard(viewport);
    page = dashboard.page;
    await useSession(page, session);
  });

  afterAll(async () => {
    // Other test files count webhooks: leave none behind.
    if (webhookId) await api(session, 'DELETE', `/api/v1/webhooks/${webhookId}`);
    await dashboard?.close();
  });

  it('shows a field error in words beside its field, drops it when the field changes', async () => {
    await page.goto(`/webhooks/${webhookId}`);
    await page.getByRole('button', { name: 'Add target' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add target' });
    await dialog.getByLabel('Name').fill('fulfilment');
    await dialog.getByLabel('URL').fill('http://127.0.0.1:9/orders');
    await dialog.getByText('Advanced settings').click();
    const maxRetries = dialog.getByLabel('Max retries');
    await maxRetries.fill('51');
    await dialog.getByRole('button', { name: 'Add target' }).click();

    await dialog.getByText('Max retries must be at most 50', { exact: true }).waitFor();
    expect(await fieldMessage(maxRetries)).toBe('Max retries must be at most 50');
    await expectOnScreen(dialog.getByText('Max retries must be at most 50'), viewport);
    await screenshot(page, 'field-error');

    await maxRetries.fill('5');
    await dialog.getByText('Max retries must be at most 50').waitFor({ state: 'detached' });
    expect(await fieldMessage(maxRetries)).toBeNull();

    await dialog.getByRole('button', { name: 'Add target' }).click();
    // The dialog itself says it is done (with the signing secret, shown once): no toast under it.
    const created = page.getByRole('dialog', { name: 'Target created' });
    await created.getByRole('button', { name: 'Done' }).click();
    await created.waitFor({ state: 'detached' });
  });

  it('says when a target is paused, and when an entrypoint URL is copied', async () => {
    const target = page.getByRole('listitem', { name: 'Target fulfilment' });
    await target.getByRole('button', { name: 'Pause' }).click();
    await page
      .getByRole('dialog', { name: 'Pause target?' })
      .getByRole('button', { name: 'Pause target' })
      .click();
    await toast(page, 'Target “fulfilment” paused').waitFor();
    await target.getByRole('button', { name: 'Resume' }).waitFor();

    await page
      .getByRole('region', { name: 'Entrypoints' })
      .getByRole('button', { name: 'Copy' })
      .first()
      .click();
    await toast(page, 'Copied').waitFor();
    await screenshot(page, 'toast');
  });

  it('says when a webhook is created and deleted', async () => {
    const created = `${WEBHOOK} made in the dashboard (${name})`;
    await page.goto('/webhooks');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const form = page.getByRole('dialog', { name: 'Create webhook' });
    await form.getByLabel('Name').fill(created);
    await form.getByRole('button', { name: 'Create webhook' }).click();
    await toast(page, `Webhook “${created}” created`).waitFor();
    await page.getByRole('heading', { name: created, level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete webhook?' });
    await confirm.getByRole('button', { name: 'Delete webhook' }).click();
    await toast(page, `Webhook “${created}” deleted`).waitFor();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
  });

  it('says "Current password is not correct" beside that field, then that the password changed, and that one logged out', async () => {
    const username = `feedback-member-${name}`;
    await api(session, 'POST', '/api/v1/users', { username, password: MEMBER_PASSWORD });
    const member = await openDashboard(viewport);
    try {
      const memberPage = member.page;
      await logIn(memberPage, username, MEMBER_PASSWORD);
      await memberPage.goto('/account');
      const current = memberPage.getByLabel('Current password');
      await current.fill('not-my-password');
      await memberPage.getByLabel('New password', { exact: true }).fill('a-new-password');
      await memberPage.getByLabel('Confirm new password').fill('a-new-password');
      await memberPage.getByRole('button', { name: 'Change password' }).click();
      await memberPage.getByText('Current password is not correct', { exact: true }).waitFor();
      expect(await fieldMessage(current)).toBe('Current password is not correct');

      await current.fill(MEMBER_PASSWORD);
      expect(await fieldMessage(current)).toBeNull();
      await memberPage.getByRole('button', { name: 'Change password' }).click();
      await toast(memberPage, 'Password changed').waitFor();
      expect(await memberPage.getByText('Current password is not correct').count()).toBe(0);

      await logOut(memberPage, viewport);
      await toast(memberPage, 'Logged out').waitFor();
      await expectOnScreen(toast(memberPage, 'Logged out'), viewport);
      await screenshot(memberPage, 'logged-out');
    } finally {
      await member.close();
    }
  });
});
