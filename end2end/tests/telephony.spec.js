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

test('telephony: the Megaplan widget calls a client and follows «не беспокоить» both ways (T11, T15)', async ({ page, context, request }, testInfo) => {
  test.setTimeout(60_000);
  const i = await emulators(request);
  const uisState = async () => (await (await request.get(`${new URL(i.uis_data_api_url).origin}/_emulator/state`)).json());
  await signedInDemo(context, request);
  await page.goto('/#telephony');
  await hydrated(page);
  // The widget needs the extension table (step 1) and a number for click-to-call (step 5).
  await page.click('#tel-sync-settings');
  await expect(page.locator('#tel-staff-table tbody tr').first()).toBeVisible();
  const number = await page.locator('#tel-click-number option:not([value=""])').first().getAttribute('value');
  await page.selectOption('#tel-click-number', number);
  await page.click('#telephony-save');
  await expect(page.locator('#telephony-result')).toHaveText('Сохранено');

  // The settings page hands the admin the widget: its script and its configuration.
  const widget = page.locator('#megaplan-widget');
  await expect(widget).toContainText('Виджет Megaplan');
  const script = await page.locator('#megaplan-widget-script').getAttribute('href');
  const configuration = await page.locator('#megaplan-widget-config').textContent();
  expect(configuration).toContain(await page.locator('#megaplan-widget-token').inputValue());
  await widget.screenshot({ path: testInfo.outputPath('megaplan-widget-settings.png') });

  // A Megaplan page on another origin, with the widget installed as the admin was told.
  const crm = 'http://acme.megaplan.localhost/crm/client/1';
  // Here the integration is on this machine, so Chromium asks the user before a page reaches it
  // (Local Network Access); a real one is on the internet and needs no such permission.
  await context.grantPermissions(['local-network-access'], { origin: new URL(crm).origin });
  await context.route(crm, (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html><body><h1>Клиент</h1><a id="client-phone" href="tel:+7 999 765-43-21">+7 999 765-43-21</a>
      <script src="${script}"></script>
      <script>${configuration}
      UisMegaplan.configure({ employeeId: "${DEFAULT_RESPONSIBLE}", watchEveryMs: 200 });</script></body></html>`,
  }));
  const crmPage = await context.newPage();
  await crmPage.goto(crm);
  await expect.poll(() => crmPage.evaluate(() => typeof window.UisMegaplan)).toBe('object');

  // T11: a click on the client's number starts the call through UIS.
  const before = (await uisState()).started_calls.length;
  await crmPage.click('#client-phone');
  await expect.poll(async () => (await uisState()).started_calls.length).toBe(before + 1);
  const started = (await uisState()).started_calls.at(-1).params;
  expect(started.contact).toBe('79997654321');
  expect(started.virtual_phone_number).toBe(number.replace(/\D/g, ''));

  // T15: switched on in Megaplan → UIS «Не беспокоить»; switched in UIS → the web phone hears of it.
  const set = await crmPage.evaluate((id) => UisMegaplan.setDoNotDisturb(id, true), DEFAULT_RESPONSIBLE);
  expect(set.dnd).toBe(true);
  const statusInUis = async () => (await uisState()).employees.find((e) => e.id === set.uis_employee_id).status;
  expect(await statusInUis()).toBe('do_not_disturb');
  await crmPage.evaluate((id) => {
    window.heard = [];
    UisMegaplan.watchDoNotDisturb(id, (on, state) => window.heard.push(`${on}:${state.status}`));
  }, DEFAULT_RESPONSIBLE);
  await expect.poll(() => crmPage.evaluate(() => window.heard)).toEqual(['true:do_not_disturb']);
  const rpc = await request.post(i.uis_data_api_url, {
    data: { jsonrpc: '2.0', id: 1, method: 'update.employees', params: { access_token: i.uis_api_key, id: set.uis_employee_id, status: 'available' } },
  });
  expect((await rpc.json()).error).toBeUndefined();
  await expect.poll(() => crmPage.evaluate(() => window.heard)).toEqual(['true:do_not_disturb', 'false:available']);
  expect(await statusInUis()).toBe('available');
});
