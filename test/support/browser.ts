import { existsSync, mkdirSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium, which .ci/run installs: playwright-core never downloads a browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of every page at both widths, kept for people to look at (gitignored). */
const ARTIFACTS = new URL('../e2e/artifacts/', import.meta.url).pathname;

/** Chromium, headless, without the background traffic a first run makes. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium package (.ci/run does)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
  });
}

/** Signs in through the local OpenID provider's own page, as a person would: in a browser context of their own. */
export async function signInAs(browser: Browser, url: string, name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${url}/`);
  await page.getByRole('button', { name: new RegExp(`^${name}`) }).click();
  await page.waitForURL(`${url}/`);
  return page;
}

/**
 * What every page must be: no serious or critical axe violation, nothing wider than a 390 px
 * phone, and a screenshot at 390 and 1280 px.
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  await afterResize(page);
  const width = await page.evaluate<number>('document.documentElement.scrollWidth');
  await page.screenshot({ path: `${ARTIFACTS}${name}-390.png`, fullPage: true });
  const { violations } = await new AxeBuilder({ page }).analyze();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: `${ARTIFACTS}${name}-1280.png`, fullPage: true });
  expect(width, `${name} is wider than 390 px`).toBeLessThanOrEqual(390);
  expect(
    violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => `${violation.id}: ${violation.help}`),
    name,
  ).toEqual([]);
}

/**
 * Two animation frames: the browser fires `resize` at the next one, so the page's own handlers
 * (the dashboard's charts redraw at the new width) have run before its layout is measured.
 */
async function afterResize(page: Page): Promise<void> {
  await page.evaluate(
    'new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))',
  );
}
