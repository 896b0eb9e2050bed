// The settings application: sign-in, access without a session, Megaplan credentials (A1) against the
// Megaplan emulator, field-level validation, the three sections with save and reload, webhook URLs.
const { test, expect } = require('@playwright/test');
const { emulators, signedIn, hydrated } = require('./helpers');

// The steps build on each other (credentials first, then the sections they unlock).
test.describe.configure({ mode: 'serial' });

test('without a session every page sends to sign-in and server functions answer 401', async ({ page, request }, testInfo) => {
  for (const path of ['/', '/no-such-page']) {
    await page.goto(path);
    await expect(page).toHaveURL(/\/sign-in$/);
  }
  await expect(page.locator('#sign-in-form')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('access-denied.png'), fullPage: true });
  const base = process.env.BASE_URL || 'http://127.0.0.1:3000';
  for (const fn of ['overview', 'add_megaplan_credentials', 'save_section', 'database_status']) {
    const r = await request.post(`/api/${fn}`, { headers: { origin: base } });
    expect(r.status(), fn).toBe(401);
  }
});

test('sign-in: a wrong password is refused next to the field, the right one opens the settings', async ({ page, request }, testInfo) => {
  const i = await emulators(request);
  await page.goto('/sign-in');
  await hydrated(page);
  await page.fill('#sign-in-account', i.account);
  await page.fill('#sign-in-login', i.admin_login);
  await page.fill('#sign-in-password', 'not the password');
  await page.click('#sign-in');
  await expect(page.locator('#sign-in-password-error')).toHaveText('Неверная учетная запись, логин или пароль');
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.screenshot({ path: testInfo.outputPath('sign-in-wrong-password.png'), fullPage: true });

  await page.fill('#sign-in-password', i.admin_password);
  await page.click('#sign-in');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('#account-name')).toHaveText(i.account);
  await expect(page.locator('#integration-locked')).toBeVisible();
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'uis_megaplan_session');
  expect(session.httpOnly).toBe(true);
  expect(session.sameSite).toBe('Strict');
  await page.screenshot({ path: testInfo.outputPath('signed-in.png'), fullPage: true });

  // Signing out ends the session.
  await hydrated(page);
  await page.click('#sign-out');
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in$/);
});

test('empty fields and a bad domain get a message next to each field, nothing is saved', async ({ page, context, request }, testInfo) => {
  await signedIn(context, request);
  await page.goto('/');
  await hydrated(page);
  await page.click('#add-credentials-submit');
  for (const f of ['name', 'login', 'password', 'domain']) {
    await expect(page.locator(`#cred-${f}-error`)).toHaveText('Заполните поле');
  }
  const i = await emulators(request);
  await page.fill('#cred-name', 'Основной');
  await page.fill('#cred-login', i.megaplan_login);
  await page.fill('#cred-password', i.megaplan_password);
  for (const [domain, message] of [
    ['mp361546.megaplan.ru', 'Домен должен быть вида https://mp361546.megaplan.ru'],
    ['http://mp361546.megaplan.ru', 'Домен должен быть вида https://mp361546.megaplan.ru'],
    ['https://169.254.169.254', 'Разрешены только домены *.megaplan.ru'],
    ['https://intranet.local', 'Разрешены только домены *.megaplan.ru'],
  ]) {
    await page.fill('#cred-domain', domain);
    await page.click('#add-credentials-submit');
    await expect(page.locator('#cred-domain-error')).toHaveText(message);
    await expect(page.locator('#cred-name-error')).toHaveText('');
  }
  await expect(page.locator('#cred-domain')).toHaveAttribute('aria-invalid', 'true');
  await page.screenshot({ path: testInfo.outputPath('domain-validation.png'), fullPage: true });
  await page.reload();
  await expect(page.locator('#no-credentials')).toBeVisible();
});

test('a password Megaplan rejects shows Megaplan\'s message and saves nothing', async ({ page, context, request }, testInfo) => {
  await signedIn(context, request);
  const i = await emulators(request);
  await page.goto('/');
  await hydrated(page);
  await page.fill('#cred-name', 'Основной');
  await page.fill('#cred-domain', i.megaplan_url);
  await page.fill('#cred-login', i.megaplan_login);
  await page.fill('#cred-password', 'wrong-password');
  await page.click('#add-credentials-submit');
  await expect(page.locator('#cred-password-error')).toContainText('Megaplan отклонил учетные данные:');
  const text = await page.locator('#cred-password-error').textContent();
  expect(text.length).toBeGreaterThan('Megaplan отклонил учетные данные: '.length);
  await page.screenshot({ path: testInfo.outputPath('megaplan-rejected.png'), fullPage: true });
  await page.reload();
  await expect(page.locator('#no-credentials')).toBeVisible();
  await expect(page.locator('#integration-locked')).toBeVisible();
});

test('working credentials are saved, chosen and unlock the integration settings', async ({ page, context, request }, testInfo) => {
  await signedIn(context, request);
  const i = await emulators(request);
  await page.goto('/');
  await hydrated(page);
  await page.fill('#cred-name', 'Основной');
  await page.fill('#cred-domain', i.megaplan_url);
  await page.fill('#cred-login', i.megaplan_login);
  await page.fill('#cred-password', i.megaplan_password);
  await expect(page.locator('#unsaved-warning')).toBeVisible();
  await page.click('#add-credentials-submit');
  await expect(page.locator('#add-credentials-result')).toHaveText('Учетные данные проверены и сохранены.');
  const row = page.locator('li.credential[data-name="Основной"]');
  await expect(row).toContainText(i.megaplan_url);
  await expect(row).toContainText('работают');
  await expect(row.locator('.in-use')).toBeVisible();
  await expect(page.locator('#integration')).toBeVisible();
  await expect(page.locator('#unsaved-warning')).toBeHidden();
  // UIS access is not saved yet: the telephony pick-lists say so in the page's language.
  await expect(page.locator('.picklist-error')).toHaveText(
    'Доступ к UIS еще не сохранен: укажите его выше, в «Доступ к UIS».');
  // The password is never sent back to the browser.
  expect(await page.content()).not.toContain(i.megaplan_password);
  await page.screenshot({ path: testInfo.outputPath('credentials-added.png'), fullPage: true });
});

test('another credential set can be added and the saved ones chosen from the list', async ({ page, context, request }) => {
  await signedIn(context, request);
  const i = await emulators(request);
  await page.goto('/');
  await hydrated(page);
  await page.fill('#cred-name', 'Резерв');
  await page.fill('#cred-domain', i.megaplan_url + '/');
  await page.fill('#cred-login', i.megaplan_login);
  await page.fill('#cred-password', i.megaplan_password);
  await page.click('#add-credentials-submit');
  const main = page.locator('li.credential[data-name="Основной"]');
  const spare = page.locator('li.credential[data-name="Резерв"]');
  await expect(spare.locator('.in-use')).toBeVisible();
  await expect(main.locator('.in-use')).toHaveCount(0);
  await main.locator('button.use-credentials').click();
  await expect(main.locator('.in-use')).toBeVisible();
  await expect(spare.locator('.in-use')).toHaveCount(0);
  // The same name again is refused next to the name.
  await page.fill('#cred-name', 'Основной');
  await page.fill('#cred-domain', i.megaplan_url);
  await page.fill('#cred-login', i.megaplan_login);
  await page.fill('#cred-password', i.megaplan_password);
  await page.click('#add-credentials-submit');
  await expect(page.locator('#cred-name-error')).toHaveText('Учетные данные с таким названием уже есть');
  await page.reload();
  await expect(page.locator('li.credential')).toHaveCount(2);
  await expect(main.locator('.in-use')).toBeVisible();
});

test('a saved set takes a new password in place: Megaplan\'s refusal is shown, the right one is saved', async ({ page, context, request }, testInfo) => {
  await signedIn(context, request);
  const i = await emulators(request);
  await page.goto('/');
  await hydrated(page);
  const main = page.locator('li.credential[data-name="Основной"]');
  await expect(main).toHaveAttribute('data-status', 'working');
  // A working set keeps the form folded; a broken one shows it open.
  await expect(main.locator('.renew-password')).toBeHidden();
  await main.locator('details.renew summary').click();
  await main.locator('.renew-password').fill('not the new password');
  await expect(page.locator('#unsaved-warning')).toBeVisible();
  await main.locator('.renew-submit').click();
  await expect(page.locator('#renew-credentials-error')).toContainText('Megaplan отклонил учетные данные:');
  await expect(main).toHaveAttribute('data-status', 'working');
  await page.screenshot({ path: testInfo.outputPath('credentials-renew-refused.png'), fullPage: true });
  await main.locator('.renew-password').fill(i.megaplan_password);
  await main.locator('.renew-submit').click();
  await expect(page.locator('#renew-credentials-result')).toHaveText(
    'Новый пароль проверен в Megaplan и сохранен; события, которые Megaplan отклонил из-за старого, обрабатываются снова.');
  await expect(page.locator('#renew-credentials-error')).toHaveText('');
  await expect(page.locator('#unsaved-warning')).toBeHidden();
  await expect(main).toHaveAttribute('data-status', 'working');
  await expect(main.locator('.in-use')).toBeVisible();
  expect(await page.content()).not.toContain(i.megaplan_password);
  await page.reload();
  await expect(page.locator('li.credential')).toHaveCount(2);
});

test('UIS access is checked against UIS: a wrong key gets UIS\'s message, the right one is saved', async ({ page, context, request }, testInfo) => {
  await signedIn(context, request);
  const i = await emulators(request);
  await page.goto('/');
  await hydrated(page);
  await page.fill('#uis-data_api_key', 'not-a-key');
  await page.fill('#uis-call_api_login', i.uis_login);
  await page.fill('#uis-call_api_password', i.uis_password);
  await page.click('#uis-access-submit');
  await expect(page.locator('#uis-data_api_key-error')).toContainText('UIS отклонил доступ:');
  await page.screenshot({ path: testInfo.outputPath('uis-rejected.png'), fullPage: true });
  await page.fill('#uis-data_api_key', i.uis_api_key);
  await page.click('#uis-access-submit');
  await expect(page.locator('#uis-access-result')).toHaveText('Сохранено');
  await expect(page.locator('#uis-current')).toContainText(i.uis_login);
  expect(await page.content()).not.toContain(i.uis_api_key);
});

test('the three sections save with their switch and come back after a reload', async ({ page, context, request }, testInfo) => {
  await signedIn(context, request);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await hydrated(page);
  for (const id of ['telephony', 'text', 'deals']) {
    await expect(page.locator(`#section-nav a[href="#${id}"]`)).toBeVisible();
    await expect(page.locator(`section#${id}`)).toBeVisible();
  }

  // Bad JSON: a message next to the field, nothing saved.
  await page.fill('#text-settings', '{"filter": ');
  await expect(page.locator('#unsaved-warning')).toBeVisible();
  await page.click('#text-save');
  await expect(page.locator('#text-settings-error')).toContainText('Это не JSON');
  await page.fill('#text-settings', '[1, 2]');
  await page.click('#text-save');
  await expect(page.locator('#text-settings-error')).toHaveText('Нужен объект JSON: {…}');
  await page.fill('#text-settings', '{"leads": true}');
  await page.click('#text-save');
  await expect(page.locator('#text-result')).toHaveText('Сохранено');
  await expect(page.locator('#text-settings-error')).toHaveText('');

  // The telephony section is a form of its own (telephony.spec.js); here only its switch and save.
  await expect(page.locator('#tel-default-responsible')).toBeVisible();
  await page.check('#telephony-active');
  await page.click('#telephony-save');
  await expect(page.locator('#telephony-result')).toHaveText('Сохранено');
  await expect(page.locator('#unsaved-warning')).toBeHidden();

  await page.fill('#deals-settings', '{"program": 1}');
  await page.click('#deals-save');
  await expect(page.locator('#deals-result')).toHaveText('Сохранено');

  // Webhook addresses with the account key, and their copy buttons.
  const megaplanHook = await page.locator('#webhook-megaplan').inputValue();
  expect(megaplanHook).toMatch(/\/hooks\/megaplan\/[0-9a-f]{48}\/events$/);
  await expect(page.locator('#webhook-uis-call_started')).toHaveValue(/\/hooks\/uis\/[0-9a-f]{48}\/call_started$/);
  await page.click('#webhook-megaplan-copy');
  await expect(page.locator('#webhook-megaplan-copy')).toHaveText('Скопировано');

  await page.reload();
  await hydrated(page);
  await expect(page.locator('#telephony-active')).toBeChecked();
  await expect(page.locator('#deals-active')).not.toBeChecked();
  expect(JSON.parse(await page.locator('#deals-settings').inputValue())).toEqual({ program: 1 });
  expect(JSON.parse(await page.locator('#text-settings').inputValue())).toEqual({ leads: true });
  await page.screenshot({ path: testInfo.outputPath('settings-frame.png'), fullPage: true });

  // Leaving with unsaved changes asks first.
  await page.fill('#text-settings', '{"x": 1}');
  await expect(page.locator('#unsaved-warning')).toBeVisible();
  let asked = false;
  page.on('dialog', async (d) => {
    asked = d.type() === 'beforeunload';
    await d.dismiss();
  });
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => asked).toBe(true);
});

test('the settings read without JavaScript (server-rendered)', async ({ browser, request }, testInfo) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  await signedIn(context, request);
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.locator('#account-name')).toHaveText((await emulators(request)).account);
  await expect(page.locator('li.credential[data-name="Основной"]')).toContainText('работают');
  await expect(page.locator('#telephony-active')).toBeChecked();
  await expect(page.locator('#webhook-megaplan')).toHaveValue(/\/hooks\/megaplan\//);
  await page.screenshot({ path: testInfo.outputPath('settings-no-js.png'), fullPage: true });
  await context.close();
});

test('without JavaScript: the language switch and sign-in are plain forms', async ({ browser, request }, testInfo) => {
  const i = await emulators(request);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/sign-in');
  await page.click('#switch-lang');
  await expect(page.locator('#sign-in-form h2, section h2').first()).toHaveText('Sign in to the integration settings');
  await page.fill('#sign-in-account', i.account);
  await page.fill('#sign-in-login', i.admin_login);
  await page.fill('#sign-in-password', i.admin_password);
  await page.click('#sign-in');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('#connection h2')).toHaveText('Account connection');
  await page.screenshot({ path: testInfo.outputPath('no-js-signed-in-english.png'), fullPage: true });
  await context.close();
});

test('English is switchable and kept for the next visit', async ({ page, context, request }) => {
  await signedIn(context, request);
  await page.goto('/');
  await hydrated(page);
  await page.click('#switch-lang');
  await expect(page.locator('#connection h2')).toHaveText('Account connection');
  await page.reload();
  await expect(page.locator('#connection h2')).toHaveText('Account connection');
  await expect(page.locator('section#telephony h3')).toHaveText('Telephony');
  await page.goto('/sign-in');
});
