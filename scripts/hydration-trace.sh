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
[ -x target/release/linksmith ] && [ -d target/site/pkg ] || {
  echo "scripts/hydration-trace.sh: build first: cargo leptos build --release --split" >&2
  exit 2
}
LEPTOS_SITE_ADDR=$ADDR LEPTOS_SITE_ROOT=target/site LINKSMITH_DB="$OUT/trace.db" RUST_LOG=warn \
  target/release/linksmith 2>"$OUT/server.log" &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; rm -rf "$OUT"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://$ADDR/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
node tools/hydration-trace.cjs "http://$ADDR/" "$RUNS"
