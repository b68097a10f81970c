import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { api, apiLogin, waitUntil, type ApiSession } from '../support/api';
import { DESKTOP, openDashboard, useSession, type Dashboard, type Viewport } from '../support/dashboard';
import { expectNoHorizontalOverflow, expectOnScreen, PHONE, SCREENSHOTS } from '../support/layout';
import { startSink, type Sink } from '../support/sink';

const TARGET = 'invoices';
const FILTER = '{ "body": { "type": { "$in": ["invoice.paid", "invoice.voided"] } } }';
const TRANSFORM = `function handler(request) {
console.log('invoice', request.body.data.id);
request.headers['x-invoice'] = request.body.data.id;
request.body = { text: 'Invoice ' + request.body.data.id + ' is ' + request.body.type };
return request;
}`;
const BROKEN_TRANSFORM = 'function handler(request) { return request;';
const NOT_MATCHING_SAMPLE = JSON.stringify({
  method: 'POST',
  path: '/',
  query: '',
  headers: { 'content-type': 'application/json' },
  body: { type: 'customer.created', data: { id: 'cus_7' } },
});

interface EntrypointJson {
  id: string;
  url: string;
}

/** POSTs one JSON event to an entrypoint; returns its id. */
async function send(url: string, payload: unknown): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { eventId: string }).eventId;
}

/** Replaces the whole text of a CodeMirror editor, as a paste would. */
async function replaceCode(page: Page, editor: Locator, text: string): Promise<void> {
  await editor.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.insertText(text);
}

// A target gets a filter and a transformation in its dialog; the Try-it pane previews them on a
// stored event and on an edited sample (and shows a broken transformation's error); a test send
// reaches the sink; the event log shows the skipped delivery and the test event.
describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('routing at %s width', (name, viewport: Viewport) => {
  const folder = path.join(SCREENSHOTS, name);
  let session: ApiSession;
  let dashboard: Dashboard;
  let page: Page;
  let sink: Sink;
  let webhookId: string;
  let entrypoint: EntrypointJson;

  const screenshot = (file: string, fullPage = false) =>
    page.screenshot({ path: path.join(folder, `${file}.png`), fullPage });
  const fits = () => expectNoHorizontalOverflow(page, viewport);
  const onScreen = (locator: Locator, options?: { primary?: boolean }) =>
    expectOnScreen(locator, viewport, options);

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    sink = await startSink();
    session = await apiLogin();
    const webhook = await api<{ id: string; entrypoints: EntrypointJson[] }>(
      session,
      'POST',
      '/api/v1/webhooks',
      { name: `Routing check (${name})` },
    );
    webhookId = webhook.id;
    entrypoint = webhook.entrypoints[0]!;
    dashboard = await openDashboard(viewport);
    page = dashboard.page;
    await useSession(page, session);
  });

  afterAll(async () => {
    if (webhookId) await api(session, 'DELETE', `/api/v1/webhooks/${webhookId}`);
    await dashboard?.close();
    await sink?.close();
  });

  it('routes with a filter and a transformation, previews them, and sends a test event', async () => {
    await page.goto(`/webhooks/${webhookId}`);
    await page.getByRole('button', { name: 'Add target' }).click();
    const add = page.getByRole('dialog', { name: 'Add target' });
    await add.getByLabel('Name').fill(TARGET);
    await add.getByLabel('URL').fill(sink.url);
    await add.locator('summary', { hasText: 'Routing' }).click();
    await replaceCode(page, add.getByRole('textbox', { name: 'Filter' }), FILTER);
    await replaceCode(page, add.getByRole('textbox', { name: 'Transformation' }), TRANSFORM);
    await add.getByText('Save the target first to try its filter').waitFor();
    await fits();
    await onScreen(add.getByRole('button', { name: 'Add target' }), { primary: true });
    await screenshot('80-routing-editors');
    await add.getByRole('button', { name: 'Add target' }).click();
    await page.getByRole('dialog', { name: 'Target created' }).getByRole('button', { name: 'Done' }).click();
    const item = page.getByRole('listitem', { name: `Target ${TARGET}` });
    await item.getByText('filter', { exact: true }).waitFor();
    await item.getByText('transform', { exact: true }).waitFor();
    await fits();
    await onScreen(item.getByRole('button', { name: 'Send test event' }));
    await item.screenshot({ path: path.join(folder, '81-target-with-routing.png') });

    // One event the filter drops, then one it lets through, transformed.
    await send(entrypoint.url, { type: 'customer.created', data: { id: 'cus_1' } });
    await send(entrypoint.url, { type: 'invoice.paid', data: { id: 'in_42', amount: 4200 } });
    await waitUntil(async () => sink.requests.length === 1, 'the sink got the matching event');
    expect(JSON.parse(sink.requests[0]!.body.toString())).toEqual({ text: 'Invoice in_42 is invoice.paid' });
    expect(sink.requests[0]!.headers['x-invoice']).toBe('in_42');

    // Try it on the newest stored event (the invoice): matched, transformed, with the console output.
    await item.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: `Edit ${TARGET}` });
    const tryIt = edit.getByRole('region', { name: 'Try it' });
    await tryIt
      .getByLabel('Request', { exact: true })
      .locator('option')
      .nth(1)
      .waitFor({ state: 'attached' });
    const run = tryIt.getByRole('button', { name: 'Run' });
    await run.click();
    const result = tryIt.getByRole('status', { name: 'Preview result' });
    await result.getByText('matched', { exact: true }).waitFor();
    expect(JSON.parse(await result.getByLabel('Body to send').innerText())).toEqual({
      text: 'Invoice in_42 is invoice.paid',
    });
    expect(await result.getByLabel('URL').innerText()).toBe(sink.url);
    expect(await result.getByLabel('Console output').innerText()).toContain('invoice in_42');
    await fits();
    await onScreen(run);
    await screenshot('82-try-it-matched');

    // An edited sample the filter does not match.
    await tryIt.getByLabel('Request', { exact: true }).selectOption({ label: 'An edited sample request' });
    await replaceCode(page, tryIt.getByRole('textbox', { name: 'Sample request' }), NOT_MATCHING_SAMPLE);
    await run.click();
    await result.getByText('filtered out', { exact: true }).waitFor();
    await fits();
    await screenshot('83-try-it-filtered-out');

    // A transformation that does not compile, previewed before it is saved.
    await replaceCode(page, edit.getByRole('textbox', { name: 'Transformation' }), BROKEN_TRANSFORM);
    await tryIt.getByLabel('Request', { exact: true }).selectOption({ index: 0 });
    await run.click();
    await result.getByText('error', { exact: true }).waitFor();
    expect(await result.getByLabel('Error').innerText()).toMatch(/^SyntaxError: /);
    await fits();
    await onScreen(result.getByLabel('Error'));
    await screenshot('84-try-it-transform-error');

    // Saving a filter with an operator that does not exist: the API's message is beside the filter.
    await replaceCode(
      page,
      edit.getByRole('textbox', { name: 'Filter' }),
      '{ "body": { "type": { "$like": "invoice.%" } } }',
    );
    await edit.getByRole('button', { name: 'Save' }).click();
    const filterError = edit.getByText(/unknown operator "\$like"/);
    await filterError.waitFor();
    await onScreen(filterError);
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await edit.waitFor({ state: 'detached' });

    // A test send goes through the saved routing to the sink, and says what the sink answered.
    await item.getByRole('button', { name: 'Send test event' }).click();
    const test = page.getByRole('dialog', { name: `Send a test event to ${TARGET}` });
    await test.getByLabel('Request', { exact: true }).locator('option').nth(1).waitFor({ state: 'attached' });
    await onScreen(test.getByRole('button', { name: 'Send test event' }), { primary: true });
    await test.getByRole('button', { name: 'Send test event' }).click();
    const answer = test.getByRole('region', { name: 'Test result' });
    await answer.getByText('delivered').waitFor();
    await answer.getByText('HTTP 200').waitFor();
    expect(await answer.getByLabel('Response').innerText()).toBe('thanks');
    await page.getByText(/^Test event sent: HTTP 200/).waitFor();
    expect(sink.requests).toHaveLength(2);
    await fits();
    await screenshot('85-send-test-event');
    await answer.getByRole('link', { name: 'Open the test event' }).click();
    await page.waitForURL(/\/events\/[0-9a-f-]+$/);

    // The event log: the test event is marked, the dropped event's delivery is skipped by the filter.
    await page.goto(`/webhooks/${webhookId}/events`);
    const rows = page.getByRole('row').filter({ has: page.getByRole('button', { name: /details$/ }) });
    const testRows = rows.filter({ has: page.getByText('test', { exact: true }) });
    await testRows.first().waitFor();
    expect(await testRows.count()).toBe(1);
    const skipped = rows.filter({ hasText: '1 skipped' });
    await skipped.getByRole('button', { name: 'Show details' }).click();
    const delivery = page.getByRole('listitem', { name: `Delivery to ${TARGET}` });
    await delivery.getByText('skipped', { exact: true }).waitFor();
    await delivery.getByText('filtered out', { exact: true }).waitFor();
    await delivery.getByText("Not sent: the target's filter does not match this event").waitFor();
    await fits();
    await screenshot('86-event-log-skipped-and-test', true);
  });
});
