#!/usr/bin/env bash
# The page at a full paste (issue #18), for docs/PERFORMANCE.md: runs the Playwright test
# end2end/tests/full-paste.spec.ts RUNS times (default 3) against the release build and prints its
# figures: the 1,000 links through POST /api/v1/check/batch (a server with the rate limit off), the
# time to list them after pasting, the time until the last card is shown and its ratio to the API
# batch, the progress bar's distinct values and the long tasks while results arrive.
#
#   scripts/full-paste.sh [RUNS]
#
# Needs the release build (`cargo leptos build --release`) and the debug examples
# (`cargo build --features ssr --examples`). Not part of CI (the test itself is, with wider bounds).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
[ -x target/release/linksmith ] && [ -d target/site/pkg ] || {
  echo "scripts/full-paste.sh: build first: cargo leptos build --release" >&2
  exit 2
}
for run in $(seq 1 "$RUNS"); do
  # Empty stores each run: the page and the API baseline both start cold.
  rm -f target/e2e/paste.db* target/e2e/unlimited.db*
  (cd end2end && LINKSMITH_MEASURE=1 npx playwright test full-paste --reporter=line) | grep '^FULL-PASTE' |
    sed "s/^FULL-PASTE/run $run:/"
done
