import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { api, apiLogin, logInAs, waitUntil, type ApiSession } from '../support/api';
import { DESKTOP, openDashboard, useSession, type Dashboard, type Viewport } from '../support/dashboard';
import { expectNoHorizontalOverflow, PHONE, SCREENSHOTS } from '../support/layout';
import { startSink, type Sink } from '../support/sink';

const MEMBER = 'overview-member';
const PASSWORD = 'overview-password-1';
/** A port on 127.0.0.1 that nothing listens on: every attempt is refused at once. */
const CLOSED_PORT_URL = 'http://127.0.0.1:9/hooks';

interface Stats {
  totals: { eventsReceived: number; delivered: number; failed: number; attempts: number };
}

async function createWebhook(session: ApiSession, name: string, target: object) {
  const webhook = await api<{ id: string; entrypoints: { url: string }[] }>(
    session,
    'POST',
    '/api/v1/webhooks',
    {
      name,
    },
  );
  await api(session, 'POST', `/api/v1/webhooks/${webhook.id}/targets`, target);
  return { id: webhook.id, url: webhook.entrypoints[0]!.url };
}

async function send(url: string, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n }),
    });
    expect(response.status).toBe(200);
  }
}

async function screenshot(page: Page, name: string, viewport: Viewport): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${viewport.width}.png`), fullPage: true });
}

/**
 * The overview against seeded traffic: a member's "Orders" webhook delivers 5 events to a sink
 * answering 200, their "CRM" webhook fails 2 events (one retry each) to a closed port. The member
 * sees exactly these numbers (an admin would also see other test files' webhooks).
 */
describe('overview and target statistics', () => {
  let sink: Sink;
  let member: ApiSession;
  let orders: { id: string; url: string };
  let crm: { id: string; url: string };

  beforeAll(async () => {
    sink = await startSink();
    const admin = await apiLogin();
    await api(admin, 'POST', '/api/v1/users', { username: MEMBER, password: PASSWORD, role: 'member' });
    member = await logInAs(MEMBER, PASSWORD);
    orders = await createWebhook(member, 'Orders', {
      name: 'payments api',
      type: 'http',
      http: { url: sink.url },
    });
    crm = await createWebhook(member, 'CRM', {
      name: 'crm sync',
      type: 'http',
      http: { url: CLOSED_PORT_URL, maxRetries: 1, maxBackoffMs: 1000 },
    });
    await send(orders.url, 5);
    await send(crm.url, 2);
    await waitUntil(async () => {
      const stats = await api<Stats>(member, 'GET', '/api/v1/stats?window=1h');
      return stats.totals.delivered === 5 && stats.totals.failed === 2 && stats.totals.eventsReceived === 7;
    }, 'the statistics count the seeded deliveries');
  });
  afterAll(() => sink?.close());

  for (const viewport of [DESKTOP, PHONE]) {
    describe(`at ${viewport.width} px`, () => {
      let dashboard: Dashboard;
      beforeAll(async () => {
        dashboard = await openDashboard(viewport);
        await useSession(dashboard.page, member);
      });
      afterAll(() => dashboard?.close());

      it('shows the numbers, the failing target first with since when, and the charts', async () => {
        const { page } = dashboard;
        await page.goto('/');
        await page.getByRole('radio', { name: '1 hour' }).click();
        const tile = (label: string) => page.getByRole('group', { name: label });
        await tile('Events received').getByText('7', { exact: true }).waitFor();
        expect(await tile('Events received').textContent()).toContain('9 attempts');
        expect(await tile('Deliveries').textContent()).toMatch(/^Deliveries5delivered · 2 failed$/);
        expect(await tile('Success rate').textContent()).toContain('71.4%');
        expect(await tile('Open circuits').textContent()).toMatch(/^Open circuits0/);

        const attention = page.getByRole('region', { name: 'Targets needing attention' });
        const first = attention.getByRole('listitem').first();
        expect(await first.getAttribute('aria-label')).toBe('Target crm sync of CRM');
        expect(await first.textContent()).toMatch(/Failing since .*\d/);
        expect(await first.textContent()).toContain('ECONNREFUSED');
        expect(await attention.getByRole('listitem').count()).toBe(1);

        await page.locator('[data-chart] .recharts-wrapper > svg.recharts-surface').nth(2).waitFor();
        expect(await page.locator('[data-chart] .recharts-wrapper > svg.recharts-surface').count()).toBe(3);
        expect(
          await page.locator('[data-chart="Deliveries"] .recharts-bar-rectangle').count(),
        ).toBeGreaterThan(0);

        const webhooks = page.getByRole('region', { name: 'Webhooks' });
        expect(await webhooks.getByRole('link').filter({ hasText: 'Orders' }).textContent()).toContain(
          '100% success',
        );
        await expectNoHorizontalOverflow(page, viewport);
        await screenshot(page, 'overview', viewport);
      });

      it('shows each target’s statistics on its webhook’s page', async () => {
        const { page } = dashboard;
        await page.goto(`/webhooks/${crm.id}`);
        const failing = page.getByRole('listitem', { name: 'Target crm sync' });
        await failing.getByText('0%', { exact: true }).waitFor();
        expect(await failing.getByLabel('Last 24 hours', { exact: true }).textContent()).toContain(
          'success of 2 deliveries in 24 h',
        );
        const failedButton = failing.getByRole('button', { name: 'Failed deliveries', exact: true });
        expect(await failedButton.textContent()).toBe('Failed deliveries2');
        expect(await failedButton.getAttribute('title')).toBe('2 deliveries failed in the last 24 hours');
        await failing.getByRole('img', { name: /Deliveries per hour/ }).waitFor();
        await expectNoHorizontalOverflow(page, viewport);
        await screenshot(page, 'target-statistics-failing', viewport);

        await page.goto(`/webhooks/${orders.id}`);
        const healthy = page.getByRole('listitem', { name: 'Target payments api' });
        await healthy.getByText('100%', { exact: true }).waitFor();
        expect(await healthy.getByLabel('Last 24 hours', { exact: true }).textContent()).toMatch(
          /last delivery/,
        );
        const healthyButton = healthy.getByRole('button', { name: 'Failed deliveries', exact: true });
        expect(await healthyButton.textContent()).toBe('Failed deliveries');
        await expectNoHorizontalOverflow(page, viewport);
      });
    });
  }
});
