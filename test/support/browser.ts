// A real browser for the dashboard's tests: Debian's Chromium (apt-get install chromium; .ci/run
// installs it) driven by playwright-core. Screenshots go to test-results/, which CI keeps.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './paths.js';

export const CHROMIUM = '/usr/bin/chromium';

/** The `skip` option of the browser tests: never in CI (there they must run), else when Chromium is missing. */
export const browserSkip: false | string = process.env.CI ? false
  : fs.existsSync(CHROMIUM) ? false : 'Chromium is not installed: apt-get install chromium (CI installs it)';

export const SCREENSHOTS = path.join(ROOT, 'test-results', 'dashboard');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // As root Chromium runs only without its own sandbox; the rest keeps it off the (closed) network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Saves a full-page screenshot as test-results/dashboard/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
