#!/usr/bin/env bash
# Installs every tool the build and the tests need, from the package registries only
# (crates.io, npm, Debian apt). Each step is skipped when it is already satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=$(grep -E '^wasm-bindgen *= *"=' Cargo.toml | sed -E 's/.*"=([0-9.]+)".*/\1/')
CARGO_LEPTOS_VERSION=0.3.10   # 0.3.11 --locked needs rustc 1.96 (see ../shared/spec/toolchain.md)
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
step() { printf '\n== setup: %s\n' "$*"; }

apt_pkgs=()
command -v chromium >/dev/null || apt_pkgs+=(chromium)
dpkg -s libssl-dev >/dev/null 2>&1 || apt_pkgs+=(libssl-dev)
dpkg -s pkg-config >/dev/null 2>&1 || apt_pkgs+=(pkg-config)
command -v node >/dev/null || apt_pkgs+=(nodejs npm)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  step "apt-get install ${apt_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_pkgs[@]}"
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
for c in clippy rustfmt; do
  rustup component list --installed | grep -q "^$c" || rustup component add "$c"
done

if ! cargo leptos --version 2>/dev/null | grep -qx "cargo-leptos $CARGO_LEPTOS_VERSION"; then
  step "cargo install cargo-leptos@$CARGO_LEPTOS_VERSION (about 10 minutes, once)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked -j"${JOBS:-2}"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WASM_BINDGEN_VERSION"; then
  step "cargo install wasm-bindgen-cli@$WASM_BINDGEN_VERSION (about 2 minutes, once)"
  # Not --locked: its lock pins a webpki-roots the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" -j"${JOBS:-2}"
fi

# Tailwind and wasm-opt (binaryen) from npm; cargo-leptos puts node_modules/.bin on PATH itself.
if [ ! -x node_modules/.bin/tailwindcss ] || [ ! -x node_modules/.bin/wasm-opt ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm install (tailwindcss, binaryen)"
  # Not `npm ci`: the registry here lacks Tailwind's macOS/Windows optional binaries, so the lock can
  # never list them and `npm ci` refuses; `install --no-save` follows the lock and leaves it unchanged.
  npm install --no-save --no-audit --no-fund --loglevel=error
fi
if [ ! -d end2end/node_modules/@playwright/test ] \
   || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  step "npm ci in end2end (@playwright/test; no browser download: Debian's chromium is used)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
step "tools ready"
