import { mkdirSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { api, apiLogin, waitUntil, type ApiSession } from '../support/api';
import { baseUrl } from '../support/base-url';
import { DESKTOP, openDashboard, useSession, type Dashboard } from '../support/dashboard';
import { expectNoHorizontalOverflow, PHONE, SCREENSHOTS } from '../support/layout';

const WEBHOOK = 'Pages check: orders';
/** WCAG 2.2 (1.4.11): a focus indicator differs from what is around it by at least 3:1. */
const MIN_RING_CONTRAST = 3;
/** More than any page has controls. */
const MAX_TABS = 150;

interface Route {
  /** The screenshot's name. */
  name: string;
  path: () => string;
  /** The browser tab's title. */
  title: () => string;
  heading: () => string;
  /** The page's primary button, whose focus ring is checked. */
  primary?: string;
}

/** The relative luminance of an `rgb(…)` colour (WCAG 2.2). */
function luminance(color: string): number {
  const match = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(color);
  if (!match) throw new Error(`not an rgb colour: ${color}`);
  const [r, g, b] = match.slice(1, 4).map((part) => {
    const channel = Number(part) / 255;
    return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
}

interface FocusStyle {
  /** What has the focus, for a failure message. */
  element: string;
  focusVisible: boolean;
  outlineStyle: string;
  outlineWidth: number;
  outlineColor: string;
  boxShadow: string;
  /** A text field, whose ring is a box shadow drawn on focus, by keyboard or pointer alike. */
  textField: boolean;
}

/** How the element with the keyboard focus draws it, once its colours have faded in; undefined for none. */
function focusStyle(page: Page): Promise<(FocusStyle & { text: string; inMain: boolean }) | undefined> {
  return page.evaluate(async () => {
    const element = document.activeElement;
    if (!element || element === document.body) return undefined;
    // Buttons fade their colours in (transition-colors): read the ring once it is drawn in full.
    await Promise.all(element.getAnimations().map((animation) => animation.finished));
    const style = getComputedStyle(element);
    const text = (element.getAttribute('aria-label') ?? element.textContent ?? '').trim();
    // The outline's colour in sRGB (Tailwind's own colours are oklch), as a canvas paints it.
    const canvas = document.createElement('canvas').getContext('2d')!;
    canvas.fillStyle = style.outlineColor;
    canvas.fillRect(0, 0, 1, 1);
    const [red, green, blue] = canvas.getImageData(0, 0, 1, 1).data;
    return {
      element: `<${element.tagName.toLowerCase()}> "${text.slice(0, 60)}"`,
      text,
      inMain: element.closest('main') !== null,
      focusVisible: element.matches(':focus-visible'),
      outlineStyle: style.outlineStyle,
      outlineWidth: parseFloat(style.outlineWidth),
      outlineColor: `rgb(${red}, ${green}, ${blue})`,
      boxShadow: style.boxShadow,
      textField: element.matches('input:not([type=checkbox]):not([type=radio]), select, textarea'),
    };
  });
}

/**
 * A ring that stands out from a white page: an outline, or the box-shadow ring (2 px or more) of a
 * text field, which shows the focus however it came.
 */
function hasRing(style: FocusStyle): boolean {
  if (style.textField) return / 0px 0px 0px [2-9]px/.test(style.boxShadow);
  if (!style.focusVisible) return false;
  return (
    style.outlineStyle !== 'none' &&
    style.outlineWidth >= 2 &&
    contrast(style.outlineColor, 'rgb(255, 255, 255)') >= MIN_RING_CONTRAST
  );
}

/** The control has the keyboard focus and draws a ring that stands out from a white page. */
async function expectFocusRing(control: Locator): Promise<void> {
  expect(await control.evaluate((element) => element === document.activeElement)).toBe(true);
  const style = await focusStyle(control.page());
  expect(style && { element: style.element, ring: hasRing(style) }).toEqual({
    element: style?.element,
    ring: true,
  });
}

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
])('every page at %s width', (name, viewport) => {
  const folder = path.join(SCREENSHOTS, name);
  const webhookName = `${WEBHOOK} (${name})`;
  let session: ApiSession;
  let dashboard: Dashboard;
  let page: Page;
  let webhookId: string;
  let eventId: string;

  const routes: Route[] = [
    { name: 'overview', path: () => '/', title: () => 'Overview', heading: () => 'Overview' },
    {
      name: 'webhooks',
      path: () => '/webhooks',
      title: () => 'Webhooks',
      heading: () => 'Webhooks',
      primary: 'Create webhook',
    },
    {
      name: 'webhook',
      path: () => `/webhooks/${webhookId}`,
      title: () => webhookName,
      heading: () => webhookName,
    },
    {
      name: 'event-log',
      path: () => `/webhooks/${webhookId}/events`,
      title: () => `Event log · ${webhookName}`,
      heading: () => webhookName,
    },
    {
      name: 'recovery',
      path: () => `/webhooks/${webhookId}/recovery`,
      title: () => `Recovery · ${webhookName}`,
      heading: () => webhookName,
    },
    { name: 'events', path: () => '/events', title: () => 'Events', heading: () => 'Events' },
    { name: 'event', path: () => `/events/${eventId}`, title: () => 'Event', heading: () => 'Event' },
    {
      name: 'api-keys',
      path: () => '/api-keys',
      title: () => 'API keys',
      heading: () => 'API keys',
      primary: 'Create API key',
    },
    {
      name: 'users',
      path: () => '/users',
      title: () => 'Users',
      heading: () => 'Users',
      primary: 'Create user',
    },
    {
      name: 'account',
      path: () => '/account',
      title: () => 'Account',
      heading: () => 'Account',
      primary: 'Change password',
    },
    {
      name: 'alerts',
      path: () => '/alerts',
      title: () => 'Alerts',
      heading: () => 'Alerts',
      primary: 'Add subscription',
    },
    {
      name: 'not-found',
      path: () => '/no/such/page',
      title: () => 'Page not found',
      heading: () => 'Page not found',
    },
  ];

  const screenshot = (file: string) =>
    page.screenshot({ path: path.join(folder, `page-${file}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    session = await apiLogin();
    const webhook = await api<{ id: string; entrypoints: { url: string }[] }>(
      session,
      'POST',
      '/api/v1/webhooks',
      { name: webhookName },
    );
    webhookId = webhook.id;
    await api(session, 'POST', `/api/v1/webhooks/${webhookId}/targets`, { name: 'audit log', type: 'log' });
    const response = await fetch(`${webhook.entrypoints[0]!.url}?source=pages-check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'order.created', order: { id: 7 } }),
    });
    eventId = ((await response.json()) as { eventId: string }).eventId;
    await waitUntil(async () => {
      const event = await api<{ deliveries: { status: string }[] }>(
        session,
        'GET',
        `/api/v1/events/${eventId}`,
      );
      return event.deliveries.every((delivery) => delivery.status === 'delivered');
    }, 'the event is delivered');
    dashboard = await openDashboard(viewport);
    page = dashboard.page;
  });

  afterAll(async () => {
    // Other test files count webhooks: leave none behind.
    if (webhookId) await api(session, 'DELETE', `/api/v1/webhooks/${webhookId}`);
    await dashboard?.close();
  });

  it('login: its title, no sideways scrolling, a focus ring on "Log in"', async () => {
    await page.goto('/login');
    await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
    expect(await page.title()).toBe('Log in · webhooker');
    await expectNoHorizontalOverflow(page, viewport);
    // The username field has the focus: two tabs reach the button. (No navigation to skip here.)
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expectFocusRing(page.getByRole('button', { name: 'Log in' }));
    await screenshot('login');
  });

  it.each(routes.map((route) => [route.name, route]))(
    '%s: its title, no sideways scrolling, the skip link first, a focus ring on every control',
    async (_name, route) => {
      await useSession(page, session);
      await page.goto(route.path());
      await page.getByRole('heading', { name: route.heading(), level: 1, exact: true }).waitFor();
      await waitUntil(
        async () => (await page.title()) === `${route.title()} · webhooker`,
        'the title is set',
      );
      await expectNoHorizontalOverflow(page, viewport);

      // Keyboard users meet the skip link first; it takes them past the navigation to the page.
      await page.keyboard.press('Tab');
      const skip = page.getByRole('link', { name: 'Skip to content' });
      await expectFocusRing(skip);
      const box = await skip.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= viewport.width).toBe(true);
      if (route.name === 'overview') await page.screenshot({ path: path.join(folder, 'skip-link.png') });
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');

      // Every control after it, to the end of the page, shows the keyboard focus; the primary
      // button among them.
      const withoutRing: string[] = [];
      let primaryReached = false;
      for (let presses = 0; presses < MAX_TABS; presses++) {
        await page.keyboard.press('Tab');
        const style = await focusStyle(page);
        if (!style || style.text === 'Skip to content') break;
        if (!hasRing(style)) withoutRing.push(style.element);
        if (style.inMain && style.text === route.primary) primaryReached = true;
      }
      expect(withoutRing).toEqual([]);
      expect(primaryReached).toBe(route.primary !== undefined);
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await screenshot(route.name);
    },
  );
});

describe('compression of the dashboard', () => {
  /** A GET whose body stays as it came over the wire. */
  function rawGet(url: string, headers: Record<string, string>) {
    return new Promise<{ headers: IncomingHttpHeaders; bytes: number }>((resolve, reject) => {
      httpRequest(url, { headers }, (response) => {
        let bytes = 0;
        response.on('data', (chunk: Buffer) => (bytes += chunk.length));
        response.on('end', () => resolve({ headers: response.headers, bytes }));
        response.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
  }

  it('sends the JavaScript bundle gzipped and cached for good, index.html checked on every load', async () => {
    const index = await fetch(`${baseUrl()}/`);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const bundle = /src="(\/assets\/[^"]+\.js)"/.exec(await index.text())?.[1];
    if (!bundle) throw new Error('index.html names no script bundle');
    const plain = await rawGet(`${baseUrl()}${bundle}`, {});
    const gzipped = await rawGet(`${baseUrl()}${bundle}`, { 'accept-encoding': 'gzip' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(gzipped.bytes).toBeLessThan(plain.bytes / 2);
    console.log(`${bundle}: ${plain.bytes} bytes, ${gzipped.bytes} gzipped`);
  });
});
