// Opens the docs pages of the test apps in headless Chromium and checks what
// a person would look for. Usage:
//   node docs.mjs <invoices base URL> <marketplace base URL> <screenshot dir> <OpenAPI version>
// Both apps must serve documents of that OpenAPI version (3.1.0 or 3.2.0).
// Exits non-zero, with the reason on stderr, when a check fails or when a
// page loads anything from outside the app that serves it.

import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [invoices, marketplace, outDir, version] = process.argv.slice(2);
if (!invoices || !marketplace || !outDir || !version) {
  console.error('usage: node docs.mjs <invoices URL> <marketplace URL> <screenshot dir> <OpenAPI version>');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

// The pages below render the documents of the version under test.
for (const app of [invoices, marketplace]) {
  const { openapi } = await (await fetch(`${app}/openapi.json`)).json();
  if (openapi !== version) {
    console.error(`${app}/openapi.json is OpenAPI ${openapi}, not ${version}`);
    process.exit(1);
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});

const failures = [];

// The pages are checked while other tests compile and run on the same
// machine: allow for a slow start rather than fail on a busy runner.
const SLOW = 120_000;

/** Opens `url` in a fresh context that records every request leaving the app's origin. */
async function open(url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const origin = new URL(url).origin;
  const outside = [];
  page.on('request', (request) => {
    const target = request.url();
    if (!target.startsWith(origin + '/') && !target.startsWith('data:') && !target.startsWith('blob:')) {
      outside.push(target);
    }
  });
  const inFlight = new Set();
  page.on('request', (request) => inFlight.add(request));
  page.on('requestfinished', (request) => inFlight.delete(request));
  page.on('requestfailed', (request) => inFlight.delete(request));
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.setDefaultTimeout(SLOW);
  await page.goto(url, { waitUntil: 'load' });
  return { page, context, outside, errors, inFlight };
}

/** Waits until no request has been in flight for half a second; names the ones that never end. */
async function settle(page, inFlight) {
  const deadline = Date.now() + SLOW;
  let quietSince = Date.now();
  while (Date.now() - quietSince < 500) {
    if (inFlight.size > 0) {
      quietSince = Date.now();
    }
    if (Date.now() > deadline) {
      const pending = [...inFlight].map((r) => `${r.method()} ${r.url()}`).join(', ');
      throw new Error(`requests still in flight after ${SLOW / 1000} s: ${pending}`);
    }
    await page.waitForTimeout(100);
  }
}

async function check(name, url, steps) {
  const { page, context, outside, errors, inFlight } = await open(url);
  try {
    await settle(page, inFlight);
    await steps(page);
    await settle(page, inFlight);
    if (outside.length > 0) {
      throw new Error(`loaded from outside the app: ${outside.join(', ')}`);
    }
    if (errors.length > 0) {
      throw new Error(`script errors on the page: ${errors.join('; ')}`);
    }
    console.log(`ok: ${name}`);
  } catch (error) {
    failures.push(`${name}: ${error.message.split('\n')[0]}`);
  } finally {
    await page.screenshot({ path: `${outDir}/${name}.png`, fullPage: true });
    await context.close();
  }
}

async function expectVisible(locator, what) {
  await locator.first().waitFor({ state: 'visible', timeout: SLOW }).catch(() => {
    throw new Error(`${what} is not shown`);
  });
}

await check('swagger-callbacks', `${invoices}/docs`, async (page) => {
  await page.locator('.opblock-summary-control', { hasText: '/invoices/' }).click();
  await page.locator('.tab-header .tab-item', { hasText: 'Callbacks' }).click();
  const callbacks = page.locator('.callbacks-container');
  await expectVisible(callbacks.locator('h2', { hasText: 'invoice_notification' }), 'the callback name');
  const key = '{$request.query.callback_url}/invoices/{$request.body#/id}';
  await expectVisible(callbacks.locator(`[data-path="${key}"]`), `the callback key ${key}`);
  const operation = callbacks.locator('.opblock').first();
  if ((await operation.locator('.opblock-summary-control').getAttribute('aria-expanded')) !== 'true') {
    await operation.locator('.opblock-summary-control').click();
  }
  await expectVisible(operation.locator('.opblock-section-request-body'), 'the callback request body');
  const example = operation.locator('.model-example').first();
  await example.locator('button[data-name="model"]').click();
  const model = example.locator('.model-box');
  await expectVisible(model.locator('.json-schema-2020-12__title', { hasText: 'InvoiceEvent' }), 'the InvoiceEvent body schema');
  await expectVisible(model.getByText('paid', { exact: true }), "InvoiceEvent's `paid` property");
  // How the receiver verifies the callback: its signature headers.
  const parameters = operation.locator('.parameters-container');
  for (const header of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    await expectVisible(
      parameters.locator('tr[data-param-name="' + header + '"][data-param-in="header"]'),
      `the callback's ${header} header`,
    );
  }
});

// A group shared by several operations: its request is a path item in
// components, which the callback refers to.
await check('swagger-shared-callback', `${marketplace}/docs`, async (page) => {
  const get = page.locator('.opblock', { has: page.locator('.opblock-summary-path[data-path="/orders/{order_id}"]') })
    .filter({ has: page.locator('.opblock-summary-method', { hasText: 'GET' }) });
  await get.locator('.opblock-summary-control').first().click();
  await get.locator('.tab-header .tab-item', { hasText: 'Callbacks' }).click();
  const callbacks = get.locator('.callbacks-container');
  await expectVisible(callbacks.locator('h2', { hasText: 'status_changed' }), 'the shared callback status_changed');
  const key = 'https://events.example.com/orders/status?source={$url}';
  await expectVisible(callbacks.locator(`[data-path="${key}"]`), `the callback key ${key}`);
  await expectVisible(callbacks.getByText('The order\'s status changed.'), "the shared request's summary");
});

await check('swagger-webhooks', `${marketplace}/docs`, async (page) => {
  await expectVisible(page.getByRole('heading', { name: 'Webhooks' }), 'the Webhooks section');
  const webhook = page.locator('.opblock', { has: page.locator('.opblock-summary-path', { hasText: 'newOrder' }) });
  await expectVisible(webhook, 'the newOrder webhook');
  await webhook.locator('.opblock-summary-control').click();
  await expectVisible(webhook.locator('.opblock-section-request-body'), "the webhook's request body");
  await expectVisible(webhook.getByText('A new order was placed anywhere on the marketplace.'), "the webhook's summary");
});

await check('redoc-callbacks', `${invoices}/redoc`, async (page) => {
  await expectVisible(page.locator('h2', { hasText: 'Create an invoice.' }), 'the operation');
  await expectVisible(page.locator('h3', { hasText: 'Callbacks' }), 'the Callbacks section');
  const callback = page.getByText('Notify the client of an invoice event.', { exact: true });
  await expectVisible(callback, 'the invoice_notification callback');
  await callback.first().click();
  await expectVisible(
    page.getByText('{$request.query.callback_url}/invoices/{$request.body#/id}', { exact: false }),
    'the callback key',
  );
});

await check('scalar-callbacks', `${invoices}/scalar`, async (page) => {
  const callbacks = page.locator('.callbacks-list', { has: page.getByText('Callbacks', { exact: true }) });
  await expectVisible(callbacks, 'the Callbacks section');
  const callback = callbacks.locator('.callback-item-trigger', { hasText: 'invoice_notification' });
  await expectVisible(callback, 'the invoice_notification callback');
  const key = '{$request.query.callback_url}/invoices/{$request.body#/id}';
  await expectVisible(callback.getByText(key, { exact: true }), `the callback key ${key}`);
  if ((await callback.getAttribute('aria-expanded')) !== 'true') {
    await callback.click();
  }
  const panel = callbacks.locator('.callback-operation-panel');
  await expectVisible(panel.getByText('InvoiceEvent', { exact: true }), 'the InvoiceEvent body schema');
  await expectVisible(panel.getByText('paid', { exact: true }), "InvoiceEvent's `paid` property");
});

await browser.close();
if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
