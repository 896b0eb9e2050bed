// Foundation: the page is rendered on the server, styled by Tailwind, and hydrated by the wasm.
const { test, expect } = require('@playwright/test');

test('the first page renders, hydrates and calls a server function', async ({ page }, testInfo) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto('/');
  const h1 = page.locator('h1');
  await expect(h1).toHaveText('Интеграция UIS ⇄ Megaplan');
  // Tailwind applied: text-sky-700 is not the default black.
  const color = await h1.evaluate((el) => getComputedStyle(el).color);
  expect(color).not.toBe('rgb(0, 0, 0)');

  await expect(page.locator('#root')).toHaveAttribute('data-hydrated', 'true');

  // Switching the language happens in the browser only: it needs the wasm.
  await page.click('#switch-lang');
  await expect(h1).toHaveText('UIS ⇄ Megaplan integration');
  await expect(page.locator('#switch-lang')).toHaveText('Русский');

  // A server function round trip: page → server → database → page.
  await page.click('#check-db');
  await expect(page.locator('#db-status')).toHaveText(/Database: sqlite · Migrations applied: [1-9]\d*/);

  await page.screenshot({ path: testInfo.outputPath('home.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('the page is readable without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
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
