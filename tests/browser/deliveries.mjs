// Opens the deliveries page of a test app in headless Chromium and does
// what an operator would: finds the failed delivery, reads its attempt log,
// and retries it. Usage:
//   node deliveries.mjs <app base URL> <screenshot dir>
// Exits non-zero, with the reason on stderr, when a check fails, when the
// page has a script error, or when it sends any request to another origin
// (every such request is stopped and named).

import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [app, outDir] = process.argv.slice(2);
if (!app || !outDir) {
  console.error('usage: node deliveries.mjs <app URL> <screenshot dir>');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

// Other tests compile and run on the same machine: allow a slow start.
const SLOW = 120_000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const origin = new URL(app).origin;
const outside = [];
const seen = [];
// Every request the page makes passes here: the app's own go on, anything
// else is stopped and remembered.
await context.route('**/*', (route) => {
  const request = route.request();
  const url = request.url();
  if (url.startsWith(`${origin}/`)) {
    seen.push(`${request.method()} ${url.slice(origin.length)}`);
    return route.continue();
  }
  outside.push(url);
  return route.abort();
});
const page = await context.newPage();
page.setDefaultTimeout(SLOW);
const errors = [];
page.on('pageerror', (error) => errors.push(error.message));
page.on('console', (message) => {
  if (message.type() === 'error') errors.push(message.text());
});

async function expectVisible(locator, what) {
  await locator.first().waitFor({ state: 'visible', timeout: SLOW }).catch(() => {
    throw new Error(`${what} is not shown`);
  });
}

let failure = null;
try {
  await page.goto(`${app}/deliveries/ui`, { waitUntil: 'load' });

  // The counts, and the failed delivery in the list.
  await expectVisible(page.locator('#counts button', { hasText: 'failed: 1' }), 'the count of failed deliveries');
  await expectVisible(page.locator('#counts button', { hasText: 'delivered: 0' }), 'the count of delivered ones');
  const failed = page.locator('#list tbody tr[data-status="failed"]');
  await expectVisible(failed, 'the failed delivery');

  // The filter by state, from its count.
  await page.locator('#counts button', { hasText: 'failed: 1' }).click();
  await page.waitForFunction(() => new URLSearchParams(location.search).get('status') === 'failed');
  await expectVisible(failed, 'the failed delivery, filtered');
  const rows = await page.locator('#list tbody tr').count();
  if (rows !== 1) throw new Error(`the filter by state shows ${rows} rows`);

  // Its attempt log: one attempt, answered 500.
  await failed.first().click();
  await expectVisible(page.locator('#detail[data-status="failed"]'), 'the delivery\'s details');
  await expectVisible(page.locator('#attempts tbody tr td', { hasText: /^500$/ }), 'the attempt answered 500');
  const before = await page.locator('#attempts tbody tr').count();
  if (before !== 1) throw new Error(`the attempt log has ${before} rows before the retry`);
  if (await page.locator('#cancel').isVisible()) throw new Error('a failed delivery offers to cancel');

  // Retry: the page follows it until it is delivered.
  await page.locator('#retry').click();
  await expectVisible(page.locator('#detail[data-status="delivered"]'), 'the delivery, delivered after the retry');
  await expectVisible(page.locator('#attempts tbody tr td', { hasText: /^200$/ }), 'the attempt answered 200');
  const after = await page.locator('#attempts tbody tr').count();
  if (after !== 2) throw new Error(`the attempt log has ${after} rows after the retry`);
  if (await page.locator('#retry').isVisible()) throw new Error('a delivered delivery offers to retry');
  await expectVisible(page.locator('#counts button', { hasText: 'delivered: 1' }), 'the counts, after the retry');
  if (!seen.some((r) => /^POST \/deliveries\/\d+\/retry$/.test(r))) {
    throw new Error(`no retry was sent: ${seen.join(', ')}`);
  }
  if (outside.length > 0) {
    throw new Error(`requests left the app: ${outside.join(', ')}`);
  }
  if (errors.length > 0) {
    throw new Error(`script errors on the page: ${errors.join('; ')}`);
  }
  console.log(`ok: deliveries page (${seen.length} requests, all to the app)`);
} catch (error) {
  failure = error;
} finally {
  await page.screenshot({ path: `${outDir}/deliveries.png`, fullPage: true });
  await context.close();
  await browser.close();
}
if (failure) {
  console.error(`deliveries page: ${failure.message.split('\n')[0]}`);
  process.exit(1);
}
