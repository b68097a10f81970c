import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { api, apiLogin, waitUntil, type ApiSession } from '../support/api';
import { DESKTOP, openDashboard, useSession, type Dashboard, type Viewport } from '../support/dashboard';
import { expectNoHorizontalOverflow, expectOnScreen, PHONE, SCREENSHOTS } from '../support/layout';

const GITHUB_SECRET = 'github-webhook-secret-e2e';
const TOKEN = 'sender-token-number-one';
const ROTATED_TOKEN = 'sender-token-number-two';
/** How long a change takes to reach the ingest route cache (PostgreSQL notifies it). */
const ROUTE_CHANGE_MS = 2_000;

interface EntrypointJson {
  id: string;
  url: string;
  rejectedCount: number;
}

/** POSTs a GitHub-style delivery, signed with `secret` in X-Hub-Signature-256; returns the status. */
async function sendGitHub(url: string, secret: string): Promise<number> {
  const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
  const signature = createHmac('sha256', secret).update(body).digest('hex');
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'ping',
      'x-hub-signature-256': `sha256=${signature}`,
    },
    body,
  });
  return response.status;
}

/** Sends until the entrypoint answers `status`, for a moment at most: a change reaches ingest just after its response. */
async function expectAnswer(send: () => Promise<number>, status: number): Promise<void> {
  const deadline = Date.now() + ROUTE_CHANGE_MS;
  let got = await send();
  while (got !== status && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    got = await send();
  }
  expect(got).toBe(status);
}

// An entrypoint verified with the GitHub preset refuses a forged delivery; the dashboard shows
// the refusal, switches the entrypoint to a token, rotates the token and turns verification off.
describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('inbound verification at %s width', (name, viewport: Viewport) => {
  const folder = path.join(SCREENSHOTS, name);
  let session: ApiSession;
  let dashboard: Dashboard;
  let page: Page;
  let webhookId: string;
  let entrypoint: EntrypointJson;

  const screenshot = (file: string, fullPage = true) =>
    page.screenshot({ path: path.join(folder, `${file}.png`), fullPage });
  const fits = () => expectNoHorizontalOverflow(page, viewport);
  const onScreen = (locator: Locator, options?: { primary?: boolean }) =>
    expectOnScreen(locator, viewport, options);

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    session = await apiLogin();
    const webhook = await api<{ id: string; entrypoints: EntrypointJson[] }>(
      session,
      'POST',
      '/api/v1/webhooks',
      { name: `Verification check (${name})` },
    );
    webhookId = webhook.id;
    entrypoint = webhook.entrypoints[0]!;
    await api(session, 'PATCH', `/api/v1/entrypoints/${entrypoint.id}`, {
      description: 'GitHub org',
      verification: { preset: 'github', secret: GITHUB_SECRET },
    });
    // The forgery: signed with a secret that is not the entrypoint's (the first 401 is the one counted).
    await expectAnswer(() => sendGitHub(entrypoint.url, 'not-the-real-secret'), 401);
    expect(await sendGitHub(entrypoint.url, GITHUB_SECRET)).toBe(200);
    await waitUntil(
      async () =>
        (await api<EntrypointJson>(session, 'GET', `/api/v1/entrypoints/${entrypoint.id}`)).rejectedCount ===
        1,
      'the forgery is counted',
    );

    dashboard = await openDashboard(viewport);
    page = dashboard.page;
    await useSession(page, session);
  });

  afterAll(async () => {
    if (webhookId) await api(session, 'DELETE', `/api/v1/webhooks/${webhookId}`);
    await dashboard?.close();
  });

  it('shows the GitHub verification, its rejected count and the forged request', async () => {
    await page.goto(`/webhooks/${webhookId}`);
    const entrypoints = page.getByRole('region', { name: 'Entrypoints' });
    const item = entrypoints.getByRole('listitem', { name: 'Entrypoint GitHub org' });
    await item.getByText('GitHub signature', { exact: true }).waitFor();
    await item.getByText('1 rejected request').waitFor();
    await item.getByText(`…${GITHUB_SECRET.slice(-4)}`).waitFor();
    expect(await entrypoints.locator('pre').textContent()).toContain(
      "-H 'x-hub-signature-256: sha256=<signature>'",
    );
    await entrypoints
      .getByText(/Refused until <signature> is what the sender computes. The hex HMAC-SHA256 of the raw body/)
      .waitFor();
    await fits();
    await onScreen(item.getByRole('button', { name: 'Verification' }), { primary: true });
    await onScreen(item.getByRole('button', { name: 'Recent rejections' }), { primary: true });
    await screenshot('50-verification-card');

    await item.getByRole('button', { name: 'Recent rejections' }).click();
    const rejections = page.getByRole('dialog', { name: 'Recent rejections' });
    await rejections.getByText('1 request refused so far').waitFor();
    await rejections.getByText('Wrong secret').waitFor();
    await rejections.getByText('x-hub-signature-256 matches none of the live secrets').waitFor();
    await rejections.getByText(/^Headers \(/).click();
    await rejections.getByText('x-github-event').waitFor();
    expect(await rejections.textContent()).not.toContain('sha256=');
    await rejections.getByText('[redacted]').first().waitFor();
    await fits();
    await onScreen(rejections.getByRole('button', { name: 'Close' }), { primary: true });
    await screenshot('51-recent-rejections', false);
    await rejections.getByRole('button', { name: 'Close' }).click();
    await rejections.waitFor({ state: 'detached' });
  });

  it('switches the entrypoint to a token, with field errors in words and the token header in the curl example', async () => {
    const entrypoints = page.getByRole('region', { name: 'Entrypoints' });
    const item = entrypoints.getByRole('listitem', { name: 'Entrypoint GitHub org' });
    await item.getByRole('button', { name: 'Verification' }).click();
    const dialog = page.getByRole('dialog', { name: 'Verification' });
    const scheme = dialog.getByLabel('Sender verification');
    await dialog.getByText('The "Secret" of the GitHub webhook').waitFor();
    expect(await scheme.inputValue()).toBe('preset:github');
    await fits();
    await onScreen(dialog.getByRole('button', { name: 'Save' }), { primary: true });
    await screenshot('52-verification-github', false);

    // By hand, an HMAC signature starts from the preset's settings.
    await scheme.selectOption({ label: 'HMAC signature (set up by hand)' });
    expect(await dialog.getByLabel('Signature header').inputValue()).toBe('x-hub-signature-256');
    expect(await dialog.getByLabel('Prefix').inputValue()).toBe('sha256=');
    await fits();
    await onScreen(dialog.getByRole('button', { name: 'Save' }), { primary: true });
    await screenshot('52-verification-hmac', false);

    await scheme.selectOption({ label: 'Token in a header or ?token=' });
    await dialog.getByLabel('Header').waitFor();
    await dialog.getByLabel('Token', { exact: true }).fill('too-short');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('The token must be at least 12 characters long').waitFor();
    await fits();
    await screenshot('53-verification-token-error', false);

    await dialog.getByLabel('Token', { exact: true }).fill(TOKEN);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await item.getByText('Token', { exact: true }).waitFor();
    expect(await entrypoints.locator('pre').textContent()).toBe(
      `curl -X POST ${entrypoint.url} -H 'x-webhook-token: <token>' -H 'content-type: application/json' -d '{"hello":"world"}'`,
    );
    const sendToken = async (token: string) =>
      (await fetch(entrypoint.url, { method: 'POST', headers: { 'x-webhook-token': token }, body: '{}' }))
        .status;
    await expectAnswer(() => sendToken(TOKEN), 200);
    await fits();
    await screenshot('54-verification-token');
  });

  it('rotates the token with a grace period, then turns verification off', async () => {
    const entrypoints = page.getByRole('region', { name: 'Entrypoints' });
    const item = entrypoints.getByRole('listitem', { name: 'Entrypoint GitHub org' });
    await item.getByRole('button', { name: 'Verification' }).click();
    const dialog = page.getByRole('dialog', { name: 'Verification' });
    await dialog.getByRole('button', { name: 'Rotate secret…' }).click();

    const rotate = page.getByRole('dialog', { name: 'Rotate secret' });
    await rotate.getByText('both work').waitFor();
    await rotate.getByLabel('New secret').fill(ROTATED_TOKEN);
    expect(await rotate.getByLabel('Grace period (hours)').inputValue()).toBe('24');
    await fits();
    await onScreen(rotate.getByRole('button', { name: 'Rotate' }), { primary: true });
    await screenshot('55-rotate-secret', false);
    await rotate.getByRole('button', { name: 'Rotate' }).click();

    const secrets = dialog.getByRole('region', { name: 'Live secrets' });
    await secrets.getByText(`…${ROTATED_TOKEN.slice(-4)}`).waitFor();
    await secrets.getByText(`…${TOKEN.slice(-4)}`).waitFor();
    await dialog.getByRole('status').getByText('Rotated').waitFor();
    await fits();
    await screenshot('56-verification-rotated', false);

    await dialog.getByRole('button', { name: 'Turn off…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Turn verification off?' });
    await fits();
    await onScreen(confirm.getByRole('button', { name: 'Turn off', exact: true }), { primary: true });
    await screenshot('57-turn-off', false);
    await confirm.getByRole('button', { name: 'Turn off', exact: true }).click();
    await confirm.waitFor({ state: 'detached' });

    await item.getByText('Not verified', { exact: true }).waitFor();
    expect(await entrypoints.locator('pre').textContent()).toBe(
      `curl -X POST ${entrypoint.url} -H 'content-type: application/json' -d '{"hello":"world"}'`,
    );
    const verification = (
      await api<{ verification: { method: string } }>(session, 'GET', `/api/v1/entrypoints/${entrypoint.id}`)
    ).verification;
    expect(verification.method).toBe('none');
    await fits();
    await screenshot('58-not-verified');
  });
});
