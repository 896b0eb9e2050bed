// Shared steps of events.spec.js and demo.spec.js: sign in as the admin of the seeded `demo` account
// (connected to the in-process emulators), and a fresh client phone per test run.
const { expect } = require('@playwright/test');
const { emulators } = require('./helpers');

const base = () => process.env.BASE_URL || 'http://127.0.0.1:3000';

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

// +7 9xx xxx-xx-xx, different each run, so a test finds only its own events.
function freshPhone() {
  const n = String(Date.now() % 10_000_000).padStart(7, '0');
  return `+7999${n}`;
}

module.exports = { signedInDemo, freshPhone };
