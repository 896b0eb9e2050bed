// Demo mode: a newcomer places a simulated lost call from the demo panel, sees it in the event log and
// the «Перезвонить» todo in the emulated Megaplan; health and the rule preview of the same account.
const { test, expect } = require('@playwright/test');
const { hydrated } = require('./helpers');
const { signedInDemo, freshPhone } = require('./demo_helpers');

test.describe.configure({ mode: 'serial' });

test('a lost call from the demo panel: in the event log and as a todo in the emulated Megaplan', async ({ page, context, request }, testInfo) => {
  test.setTimeout(60_000);
  await signedInDemo(context, request);
  const phone = freshPhone();
  const digits = phone.replace(/\D/g, '');
  await page.goto('/demo');
  await hydrated(page);
  await expect(page.locator('#demo-fault')).toHaveAttribute('data-fault', 'false');
  await page.screenshot({ path: testInfo.outputPath('demo-panel-empty.png'), fullPage: true });

  // Bad input first: the message is next to the phone field.
  await page.fill('#demo-phone', 'abc');
  await page.click('#demo-place');
  await expect(page.locator('#demo-phone-error')).toHaveText(/Это не номер телефона/);

  await page.selectOption('#demo-kind', 'inbound_lost');
  await page.fill('#demo-phone', phone);
  await page.click('#demo-place');
  await expect(page.locator('#demo-place-result')).toContainText('call');
  await expect(page.locator('#demo-phone-error')).toHaveText('');
  // The panel looks again by itself; the todo and the client of this number appear.
  await expect(page.locator('#mp-todos')).toContainText(`Перезвонить`, { timeout: 20_000 });
  await expect(page.locator('#mp-todos .mp-item').filter({ hasText: digits.slice(-2) }).first()).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('#mp-clients')).toContainText(`+${digits}`);
  await expect(page.locator('#mp-calls')).toContainText('miss');
  await page.screenshot({ path: testInfo.outputPath('demo-panel-after-call.png'), fullPage: true });

  await page.goto(`/events?phone=${encodeURIComponent(phone)}`);
  await hydrated(page);
  await expect(page.locator('tr.event-row[data-type="lost"]')).toHaveCount(1);
  await expect(page.locator('tr.event-row[data-type="call_finished"][data-status="done"]')).toHaveCount(1);
  await page.screenshot({ path: testInfo.outputPath('demo-event-log.png'), fullPage: true });
});

test('health shows the demo account connected and the last UIS event', async ({ page, context, request }, testInfo) => {
  await signedInDemo(context, request);
  await page.goto('/health');
  await hydrated(page);
  await expect(page.locator('#health-megaplan')).toHaveAttribute('data-state', 'working');
  await expect(page.locator('#health-uis')).toHaveAttribute('data-state', 'saved');
  await expect(page.locator('#health-sources')).toContainText('uis');
  await expect(page.locator('#queue-depth')).toHaveText(/^\d+$/);
  await page.screenshot({ path: testInfo.outputPath('health.png'), fullPage: true });
});

test('rule preview: a lost inbound call would make a todo; a bad phone is refused next to it', async ({ page, context, request }, testInfo) => {
  await signedInDemo(context, request);
  await page.goto('/preview');
  await hydrated(page);
  await page.fill('#preview-phone', '12');
  await page.click('#preview-submit');
  await expect(page.locator('#preview-phone-error')).toHaveText(/Это не номер телефона/);
  await page.fill('#preview-phone', '+7 999 111-22-33');
  await page.selectOption('#preview-direction', 'in');
  await page.selectOption('#preview-outcome', 'missed');
  await page.click('#preview-submit');
  await expect(page.locator('#preview-phone-error')).toHaveText('');
  await expect(page.locator('.preview-step').last()).toContainText('Завершение звонка');
  await expect(page.locator('.preview-step').last().locator('.preview-action').filter({ hasText: 'create_todo' })).toHaveCount(1);
  await expect(page.locator('.preview-skip').first()).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('preview.png'), fullPage: true });
});
