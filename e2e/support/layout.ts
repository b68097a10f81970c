import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { Viewport } from './dashboard';

/** Written by every run (a `phone` and a `desktop` folder), looked at by people; not committed. */
export const SCREENSHOTS = path.join(__dirname, '..', 'screenshots');
export const PHONE: Viewport = { width: 390, height: 844 };
/** The smallest comfortable tap target for a primary control on a phone. */
const TAP_PX = 40;

/** The page is no wider than the screen, and an open dialog no wider than itself. */
export async function expectNoHorizontalOverflow(page: Page, viewport: Viewport): Promise<void> {
  const sizes = await page.evaluate(() => {
    const dialog = document.querySelector<HTMLDialogElement>('dialog[open]');
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      dialog: dialog && { scrollWidth: dialog.scrollWidth, clientWidth: dialog.clientWidth },
    };
  });
  expect(sizes.innerWidth).toBe(viewport.width);
  expect(sizes.scrollWidth).toBeLessThanOrEqual(sizes.innerWidth);
  if (sizes.dialog) expect(sizes.dialog.scrollWidth).toBeLessThanOrEqual(sizes.dialog.clientWidth);
}

/**
 * The control is visible and, once scrolled to (inside a dialog, if it is in one), wholly on the
 * screen; on a phone a primary control is also big enough to tap.
 */
export async function expectOnScreen(
  locator: Locator,
  viewport: Viewport,
  { primary = false }: { primary?: boolean } = {},
): Promise<void> {
  await locator.waitFor();
  await locator.scrollIntoViewIfNeeded();
  const box = await locator.boundingBox();
  if (!box) throw new Error(`${locator} has no box`);
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.y + box.height).toBeLessThanOrEqual(viewport.height);
  if (primary && viewport.width === PHONE.width) expect(box.height).toBeGreaterThanOrEqual(TAP_PX);
}
