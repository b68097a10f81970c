import { logIn, mainNav, openDashboard, type Dashboard } from '../support/dashboard';
import { ADMIN_PASSWORD } from '../support/server';

const MEMBER = 'e2e-member';

describe('users', () => {
  let admin: Dashboard;
  let member: Dashboard | undefined;
  let memberPassword: string;
  beforeAll(async () => {
    admin = await openDashboard();
    await logIn(admin.page, 'admin', ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await member?.close();
    await admin?.close();
  });

  it('lets the admin create a member, showing the generated password once', async () => {
    const { page } = admin;
    await mainNav(page).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Create user' }).click();

    const form = page.getByRole('dialog', { name: 'Create user' });
    await form.getByLabel('Username').fill(MEMBER);
    expect(await form.getByLabel('Role').inputValue()).toBe('member');
    await form.getByRole('button', { name: 'Create user' }).click();

    const created = page.getByRole('dialog', { name: 'User created' });
    memberPassword = await created.getByLabel('Generated password').inputValue();
    expect(memberPassword.length).toBeGreaterThanOrEqual(8);
    await created.getByRole('button', { name: 'Done' }).click();

    const row = page.getByRole('row').filter({ hasText: MEMBER });
    await row.waitFor();
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('member');
    expect(await row.getByRole('cell').nth(2).textContent()).toBe('active');
  });

  it('does not show the Users page to the member', async () => {
    member = await openDashboard();
    const { page } = member;
    await logIn(page, MEMBER, memberPassword);

    await mainNav(page).getByRole('link', { name: 'API keys' }).waitFor();
    expect(await mainNav(page).getByRole('link').allTextContents()).toEqual([
      'Overview',
      'Webhooks',
      'Events',
      'Alerts',
      'API keys',
    ]);

    await page.goto('/users');
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
  });
});
