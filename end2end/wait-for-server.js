// cargo-leptos starts the server and the tests at the same time: wait until /healthz answers.
module.exports = async () => {
  const base = process.env.BASE_URL || 'http://127.0.0.1:3000';
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
    } catch (_) { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`server at ${base} did not answer /healthz within 120 s`);
    await new Promise((res) => setTimeout(res, 250));
  }
};
