#!/usr/bin/env bash
# Builds (release) and serves the product on the embedded SQLite database in ./data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
cargo leptos build --release
export LEPTOS_OUTPUT_NAME=uis-megaplan LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg
exec "$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/uis-megaplan" "$@"
