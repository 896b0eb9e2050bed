#!/usr/bin/env bash
# Every test: formatting, lints, `cargo test` for the workspace on SQLite and PostgreSQL,
# then the Playwright tests in Chromium against a freshly built and started server.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

bash tools/setup.sh

# PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`): the tests create a database each.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "== test: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
export UIS_MEGAPLAN_REQUIRE_POSTGRES=1

echo "== test: cargo fmt --check"
cargo fmt --all --check
echo "== test: cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== test: cargo test (SQLite and PostgreSQL)"
# frontend is the wasm entry alone (no tests); leaving it out keeps `app` built with the same
# features as the e2e server build, so those artifacts are compiled once.
cargo test --workspace --exclude frontend --locked 2>&1 | tee /tmp/uis-megaplan-cargo-test.log
grep -E '^test result:' /tmp/uis-megaplan-cargo-test.log \
  | awk '{p+=$4; f+=$6; i+=$8} END {printf "cargo test summary: %d passed, %d failed, %d ignored\n", p, f, i}'

echo "== test: Playwright in Chromium (cargo leptos end-to-end)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
# UIS statuses kept 1 s instead of 60, so the widget hears a change made in UIS within the test.
UIS_MEGAPLAN_E2E=1 LEPTOS_SITE_ADDR="127.0.0.1:$port" BASE_URL="http://127.0.0.1:$port" UIS_MEGAPLAN_DATA_DIR="$data" \
  UIS_MEGAPLAN_UIS_STATUS_REFRESH_SECS=1 cargo leptos end-to-end

echo "== test: all passed in $(( $(date +%s) - start )) s"
