// Shared steps of the browser tests. The server runs with UIS_MEGAPLAN_E2E=1: it started emulators of
// Megaplan and UIS and seeded an account and admin, all described at GET /_e2e/emulators.
const { expect } = require('@playwright/test');

const base = () => process.env.BASE_URL || 'http://127.0.0.1:3000';

let info = null;
async function emulators(request) {
  if (!info) {
    const r = await request.get('/_e2e/emulators');
    expect(r.status()).toBe(200);
    info = await r.json();
  }
  return info;
}

// One session for the tests that only need to be signed in (sign-in attempts are rate-limited).
let cookie = null;
async function signedIn(context, request) {
  if (!cookie) {
    const i = await emulators(request);
    const r = await request.post('/api/sign_in', {
      form: { account: i.account, login: i.admin_login, password: i.admin_password },
      headers: { origin: base() },
    });
    expect(r.status()).toBe(200);
    const set = r.headers()['set-cookie'];
    expect(set).toContain('HttpOnly');
    cookie = set.split(';')[0].split('=')[1];
  }
  await context.addCookies([{ name: 'uis_megaplan_session', value: cookie, url: base() }]);
}

async function hydrated(page) {
  await expect(page.locator('#root')).toHaveAttribute('data-hydrated', 'true');
}

module.exports = { emulators, signedIn, hydrated };
