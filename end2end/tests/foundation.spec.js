// Foundation: the page is rendered on the server, styled by Tailwind, and hydrated by the wasm.
const { test, expect } = require('@playwright/test');
const { signedIn, hydrated } = require('./helpers');

test('the first page renders, hydrates and calls a server function', async ({ page, context, request }, testInfo) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signedIn(context, request);

  await page.goto('/');
  const h1 = page.locator('h1');
  await expect(h1).toHaveText('Интеграция UIS ⇄ Megaplan');
  // Tailwind applied: text-sky-700 is not the default black.
  const color = await h1.evaluate((el) => getComputedStyle(el).color);
  expect(color).not.toBe('rgb(0, 0, 0)');

  await hydrated(page);

  // Switching the language: a server function sets the cookie, the page changes at once.
  await page.click('#switch-lang');
  await expect(h1).toHaveText('UIS ⇄ Megaplan integration');
  await expect(page.locator('#switch-lang')).toHaveText('Русский');

  // A server function round trip: page → server → database → page.
  await page.click('#check-db');
  await expect(page.locator('#db-status')).toHaveText(/Database: sqlite · Migrations applied: [1-9]\d*/);

  // The choice is kept in a cookie, so the server renders the next page in English.
  await page.reload();
  await expect(h1).toHaveText('UIS ⇄ Megaplan integration');
  await hydrated(page);
  await page.click('#switch-lang');
  await expect(h1).toHaveText('Интеграция UIS ⇄ Megaplan');

  await page.screenshot({ path: testInfo.outputPath('home.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('the page is readable without JavaScript', async ({ browser, request }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  await signedIn(context, request);
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.locator('h1')).toHaveText('Интеграция UIS ⇄ Megaplan');
  await expect(page.locator('#tagline')).toContainText('Megaplan');
  await context.close();
});

test('health probes answer', async ({ request }) => {
  expect((await request.get('/healthz')).status()).toBe(200);
  expect(await (await request.get('/readyz')).text()).toBe('ready');
});
