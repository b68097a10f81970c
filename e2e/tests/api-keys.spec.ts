import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { baseUrl } from '../support/base-url';
import { logIn, mainNav, openDashboard, type Dashboard } from '../support/dashboard';
import { ADMIN_PASSWORD } from '../support/server';

const ARTIFACTS = path.join(__dirname, '..', 'artifacts');
const KEY_NAME = 'ci-pipeline';

function callMe(key: string): Promise<Response> {
  return fetch(`${baseUrl()}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${key}` } });
}

describe('API keys', () => {
  let dashboard: Dashboard;
  let key: string;
  beforeAll(async () => {
    dashboard = await openDashboard();
    await logIn(dashboard.page, 'admin', ADMIN_PASSWORD);
  });
  afterAll(() => dashboard?.close());

  it('creates a key, shows it once with a curl example, and the key works against the API', async () => {
    const { page } = dashboard;
    await mainNav(page).getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'Create API key' }).click();

    const form = page.getByRole('dialog', { name: 'Create API key' });
    await form.getByLabel('Name').fill(KEY_NAME);
    await form.getByRole('button', { name: 'Create API key' }).click();

    const created = page.getByRole('dialog', { name: 'API key created' });
    key = await created.getByLabel('API key').inputValue();
    expect(key).toMatch(/^whk_\S+$/);
    expect(await created.locator('pre').textContent()).toBe(
      `curl -H "Authorization: Bearer ${key}" ${baseUrl()}/api/v1/auth/me`,
    );

    const response = await callMe(key);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ user: { username: 'admin' }, authMethod: 'api-key' });

    await created.getByRole('button', { name: 'Done' }).click();
    await created.waitFor({ state: 'detached' });
    const row = page.getByRole('row').filter({ hasText: KEY_NAME });
    const prefix = (await row.getByRole('cell').nth(1).textContent())?.replace(/…$/, '');
    expect(key.startsWith(prefix ?? '-')).toBe(true);
    await row.getByRole('cell').nth(3).filter({ hasText: 'just now' }).waitFor();
    const createdAt = row.getByRole('cell').nth(2).locator('time');
    expect(await createdAt.getAttribute('title')).toContain(String(new Date().getFullYear()));

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'api-keys.png'), fullPage: true });
  });

  it('revokes the key behind a confirmation, and the key stops working', async () => {
    const { page } = dashboard;
    await page.getByRole('button', { name: `Revoke ${KEY_NAME}` }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke API key?' });
    await confirm.getByRole('button', { name: 'Revoke' }).click();

    await confirm.waitFor({ state: 'detached' });
    await page.getByRole('row').filter({ hasText: KEY_NAME }).waitFor({ state: 'detached' });
    expect((await callMe(key)).status).toBe(401);
  });
});
