import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { baseUrl } from './base-url';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];
const ACTION_TIMEOUT_MS = 10_000;

export interface Dashboard {
  page: Page;
  /** Closes the browser; fails when the page threw or tried to reach anything but the server. */
  close(): Promise<void>;
}

export interface Viewport {
  width: number;
  height: number;
}

export const DESKTOP: Viewport = { width: 1280, height: 800 };

/** A fresh Chromium (own cookies) on the dashboard of the server under test, desktop-sized unless told. */
export async function openDashboard(viewport: Viewport = DESKTOP): Promise<Dashboard> {
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ baseURL: baseUrl(), viewport });
  const problems: string[] = [];
  const serverOrigin = new URL(baseUrl()).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === serverOrigin) return route.continue();
    problems.push(`request to ${url} blocked: only ${serverOrigin} may be reached`);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_TIMEOUT_MS);
  page.on('pageerror', (error) => problems.push(`uncaught error in the page: ${error.message}`));
  return {
    page,
    close: async () => {
      await browser.close();
      if (problems.length > 0) throw new Error(problems.join('\n'));
    },
  };
}

/**
 * Gives the page the session of an API login, so a test file logs in once for the API and the
 * browser alike (logins are rate-limited).
 */
export async function useSession(page: Page, session: { cookie: string }): Promise<void> {
  const [name, ...value] = session.cookie.split('=');
  await page.context().addCookies([{ name: name!, value: value.join('='), url: baseUrl() }]);
}

/** Logs in through the login form and waits to leave it. */
export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
}

/** The main navigation bar. */
export function mainNav(page: Page) {
  return page.getByRole('navigation', { name: 'Main' });
}

/** The rows of an event list (a webhook's log or all events): each has a Show/Hide details button. */
export function eventRows(page: Page): Locator {
  return page.getByRole('row').filter({ has: page.getByRole('button', { name: /^(Show|Hide) details$/ }) });
}
