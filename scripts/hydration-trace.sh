#!/usr/bin/env bash
# The check page's hydration, traced in headless Chromium with the CPU slowed 4x: the tasks between
# the first paint and the page being hydrated, for docs/PERFORMANCE.md. Not part of CI.
#
#   scripts/hydration-trace.sh [runs]    (default 5)
#
# Needs the release build (`cargo leptos build --release --split`), /usr/bin/chromium and the
# end-to-end suite's npm packages (`cd end2end && npm ci`).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${1:-5}"
ADDR=127.0.0.1:3405
OUT="$(mktemp -d)"
. scripts/release-server.sh
start_release_server "$ADDR" "$OUT"
node tools/hydration-trace.cjs "http://$ADDR/" "$RUNS"
