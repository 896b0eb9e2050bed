// The telephony section (issue 7): in the seed's order, with pick-lists read from the emulated
// Megaplan and UIS, the telephony-settings sync with its extension table, the whole form validated on
// save with the message next to its field, the values back after a reload; then a lost call placed
// on the UIS emulator ends as a todo for the chosen employee in the emulated Megaplan.
//
// It runs as the seeded `demo` account: connected to both emulators, and the account the UIS
// emulator sends its notifications to.
const { test, expect } = require('@playwright/test');
const { emulators, hydrated } = require('./helpers');

const base = () => process.env.BASE_URL || 'http://127.0.0.1:3000';

test.describe.configure({ mode: 'serial' });

let cookie = null;
async function signedInDemo(context, request) {
  if (!cookie) {
    const i = await emulators(request);
    const r = await request.post('/api/sign_in', {
      form: { account: i.demo_account, login: i.admin_login, password: i.admin_password },
      headers: { origin: base() },
    });
    expect(r.status()).toBe(200);
    cookie = r.headers()['set-cookie'].split(';')[0].split('=')[1];
  }
  await context.addCookies([{ name: 'uis_megaplan_session', value: cookie, url: base() }]);
}

const DEFAULT_RESPONSIBLE = '1000001';
const TODO_RESPONSIBLE = '1000002';

test('telephony: sync, pick-lists, a field error, save and reload', async ({ page, context, request }, testInfo) => {
  test.setTimeout(60_000);
  await signedInDemo(context, request);
  await page.goto('/#telephony');
  await hydrated(page);
  const section = page.locator('section#telephony');
  await expect(section).toBeVisible();
  // The seed's steps, in order.
  const steps = await section.locator('h4').allTextContents();
  expect(steps.map((s) => s.slice(0, 2))).toEqual(['1.', '2.', '3.', '4.', '5.', '6.']);
  // Pick-lists come from Megaplan (employees) and UIS (virtual numbers), not typed ids.
  await expect(page.locator(`#tel-default-responsible option[value="${DEFAULT_RESPONSIBLE}"]`)).toHaveCount(1);
  await expect(page.locator('#tel-click-number option')).not.toHaveCount(1);

  // 1. Sync of the telephony settings: the extension table.
  await page.click('#tel-sync-settings');
  await expect(page.locator('#tel-staff-table tbody tr').first()).toBeVisible();
  await expect(page.locator('#tel-sync-error')).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('telephony-synced.png'), fullPage: true });

  // Sub-settings show only while their switch is on.
  await page.uncheck('#tel-by-virtual-numbers');
  await expect(page.locator('#tel-vn')).toHaveCount(0);
  await page.check('#tel-by-virtual-numbers');
  await expect(page.locator('#tel-vn')).toBeVisible();
  await page.uncheck('#tel-by-virtual-numbers');

  // 4.4: a todo for lost inbound calls, for a chosen employee; 4.3: communications, 45 minutes.
  await page.check('#tel-todo');
  await page.check('#tel-todo-outcomes-lost');
  await page.selectOption('#tel-todo-responsible', `employee:${TODO_RESPONSIBLE}`);
  await page.check('#tel-communication');
  await page.fill('#tel-communication-duration', '45');
  await page.check('#telephony-active');
  await expect(page.locator('#unsaved-warning')).toBeVisible();

  // The default responsible is required once anything is created: left empty, it is refused there.
  await page.selectOption('#tel-default-responsible', '');
  await page.click('#telephony-save');
  await expect(page.locator('#tel-err-default_responsible')).toContainText('Выберите ответственного по умолчанию');
  await expect(page.locator('#telephony-result')).toContainText('Не сохранено');
  await page.screenshot({ path: testInfo.outputPath('telephony-field-error.png'), fullPage: true });

  await page.selectOption('#tel-default-responsible', DEFAULT_RESPONSIBLE);
  await page.click('#telephony-save');
  await expect(page.locator('#telephony-result')).toHaveText('Сохранено');
  await expect(page.locator('#tel-err-default_responsible')).toHaveText('');
  await expect(page.locator('#unsaved-warning')).toBeHidden();

  await page.reload();
  await hydrated(page);
  await expect(page.locator('#tel-default-responsible')).toHaveValue(DEFAULT_RESPONSIBLE);
  await expect(page.locator('#tel-todo')).toBeChecked();
  await expect(page.locator('#tel-todo-outcomes-lost')).toBeChecked();
  await expect(page.locator('#tel-todo-responsible')).toHaveValue(`employee:${TODO_RESPONSIBLE}`);
  await expect(page.locator('#tel-communication')).toBeChecked();
  await expect(page.locator('#tel-communication-duration')).toHaveValue('45');
  await expect(page.locator('#telephony-active')).toBeChecked();
  await expect(page.locator('#tel-staff-table tbody tr').first()).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('telephony-reloaded.png'), fullPage: true });
});

test('telephony: the employee sync (T2) with its list, progress and per-employee results', async ({ page, context, request }, testInfo) => {
  test.setTimeout(60_000);
  await signedInDemo(context, request);
  await page.goto('/#telephony');
  await hydrated(page);
  await expect(page.locator('#tel-sync-employee')).toHaveCount(0);
  await page.check('#tel-sync-employees');
  // Turned on without anyone chosen: refused next to the list.
  await page.click('#telephony-save');
  await expect(page.locator('#tel-err-sync-employees')).toContainText('Выберите сотрудников');
  await page.check(`#tel-sync-employee-${DEFAULT_RESPONSIBLE}`);
  await page.click('#telephony-save');
  await expect(page.locator('#telephony-result')).toHaveText('Сохранено');
  await page.click('#tel-employee-sync');
  await expect(page.locator('#tel-employee-sync-progress')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
  await expect(page.locator('#tel-employee-sync-progress')).toContainText('1 / 1');
  await expect(page.locator('#tel-employee-sync-results li')).toHaveCount(1);
  await expect(page.locator('#tel-employee-sync-results li')).toHaveClass(/sync-(created|matched)/);
  // Worded in the page's language, not the codes the API keeps.
  await expect(page.locator('#tel-employee-sync-progress')).toContainText('синхронизация завершена');
  await expect(page.locator('#tel-employee-sync-results li')).toContainText(/(создан — создан в UIS|сопоставлен — тот же e-mail в UIS)/);
  await page.screenshot({ path: testInfo.outputPath('telephony-employee-sync.png'), fullPage: true });

  // A run UIS refuses stops as a whole and says why, in the page's language too.
  const i = await emulators(request);
  const uis = new URL(i.uis_data_api_url).origin;
  const fault = await request.post(`${uis}/_emulator/faults`, {
    data: { method: 'get.employees', mnemonic: 'forbidden', times: 1 },
  });
  expect(fault.status()).toBe(200);
  await page.click('#tel-employee-sync');
  await expect(page.locator('#tel-employee-sync-progress')).toHaveAttribute('data-status', 'failed', { timeout: 30_000 });
  await expect(page.locator('#tel-employee-sync-progress')).toContainText('синхронизация прервана');
  await expect(page.locator('#tel-employee-sync-error')).toContainText('UIS отклонил доступ');
});

test('telephony: a lost inbound call becomes a todo for the chosen employee in Megaplan', async ({ request }) => {
  test.setTimeout(90_000);
  const i = await emulators(request);
  const uis = new URL(i.uis_data_api_url).origin;
  const megaplan = i.megaplan_url;
  const todosOf = async () => {
    const r = await request.get(`${megaplan}/_emulator/state`);
    expect(r.status()).toBe(200);
    return (await r.json()).todos || [];
  };
  const before = new Set((await todosOf()).map((t) => String(t.id)));
  const digits = `7999${String(Date.now() % 10_000_000).padStart(7, '0')}`;
  const placed = await request.post(`${uis}/_emulator/calls`, {
    data: { flow: 'inbound_lost', contact_phone_number: digits, wait_seconds: 5 },
  });
  expect(placed.status()).toBe(200);
  // The todo arrives through the pipeline; wait up to the test's time for it.
  await expect
    .poll(
      async () => {
        const fresh = (await todosOf()).filter((t) => !before.has(String(t.id)));
        return fresh.some((t) => JSON.stringify(t.responsible || {}).includes(TODO_RESPONSIBLE));
      },
      { timeout: 80_000, intervals: [1_000] },
    )
    .toBe(true);
});
