import { openDashboard, type Dashboard } from '../support/dashboard';
import { ADMIN_PASSWORD } from '../support/server';

describe('login and logout', () => {
  let dashboard: Dashboard;
  beforeAll(async () => {
    dashboard = await openDashboard();
  });
  afterAll(() => dashboard?.close());

  it('sends a visitor to the login page, remembering where they were going', async () => {
    const { page } = dashboard;
    await page.goto('/api-keys');
    await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('next') === '/api-keys');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
  });

  it('shows the error for a wrong password and stays on the login page', async () => {
    const { page } = dashboard;
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();

    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Wrong username or password');
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('logs the admin in and goes where they were going', async () => {
    const { page } = dashboard;
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();

    await page.waitForURL((url) => url.pathname === '/api-keys');
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'User menu (admin)' }).waitFor();
  });

  it('logs out from the user menu, back to the login page, and the session is gone', async () => {
    const { page } = dashboard;
    await page.getByRole('button', { name: 'User menu' }).click();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();

    await page.goto('/');
    await page.waitForURL((url) => url.pathname === '/login');
  });
});
