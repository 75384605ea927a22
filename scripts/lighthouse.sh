#!/usr/bin/env bash
# Lighthouse (npm) with Debian's Chromium against the release server on loopback, for
# docs/PERFORMANCE.md. Not part of CI.
#
#   scripts/lighthouse.sh [runs] [presets]
#                                    the check page, each preset `runs` times (default 1):
#                                    mobile (Lighthouse's default: a mid-range phone on slow 4G,
#                                    simulated), mobile-devtools (the same applied for real) and
#                                    desktop; e.g. `scripts/lighthouse.sh 6 mobile-devtools`
#
# Needs the release build (`cargo leptos build --release`) and /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${1:-1}"
PRESETS="${2:-mobile mobile-devtools desktop}"
ADDR=127.0.0.1:3400
OUT="$(mktemp -d)"
(cd tools/lighthouse && npm ci --no-audit --no-fund --silent)

. scripts/release-server.sh
start_release_server "$ADDR" "$OUT"

FLAGS="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
for run in $(seq 1 "$RUNS"); do
  for preset in $PRESETS; do
    extra=()
    [ "$preset" = desktop ] && extra=(--preset=desktop)
    [ "$preset" = mobile-devtools ] && extra=(--throttling-method=devtools)
    CHROME_PATH=/usr/bin/chromium tools/lighthouse/node_modules/.bin/lighthouse "http://$ADDR/" \
      --quiet --chrome-flags="$FLAGS" "${extra[@]}" \
      --only-categories=performance,accessibility,best-practices \
      --output=json --output-path="$OUT/$preset-$run.json"
  done
done

node - "$OUT" <<'JS'
const fs = require("fs"), path = require("path");
const out = process.argv[2];
const reports = fs.readdirSync(out).filter((f) => f.endsWith(".json")).sort((a, b) => {
  const run = (f) => Number(f.replace(/\.json$/, "").split("-").pop());
  return run(a) - run(b) || a.localeCompare(b);
});
console.log(`Lighthouse ${JSON.parse(fs.readFileSync(path.join(out, reports[0]))).lighthouseVersion}, http://127.0.0.1:3400/\n`);
console.log("| preset | performance | accessibility | best practices | FCP | LCP | TBT | CLS | transferred |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const file of reports) {
  const preset = file.replace(/-\d+\.json$/, "");
  const r = JSON.parse(fs.readFileSync(path.join(out, file)));
  const c = r.categories, a = r.audits;
  const score = (k) => Math.round(c[k].score * 100);
  const kb = (a["total-byte-weight"].numericValue / 1024).toFixed(0);
  console.log(`| ${preset} | ${score("performance")} | ${score("accessibility")} | ${score("best-practices")} | ${a["first-contentful-paint"].displayValue} | ${a["largest-contentful-paint"].displayValue} | ${a["total-blocking-time"].displayValue} | ${a["cumulative-layout-shift"].displayValue} | ${kb} KiB |`);
  for (const [id, audit] of Object.entries(a)) {
    if (audit.score !== null && audit.score < 0.9 && audit.scoreDisplayMode !== "informative" && audit.scoreDisplayMode !== "notApplicable" && audit.scoreDisplayMode !== "manual") {
      console.log(`  ${preset}: ${id} ${audit.score} ${audit.displayValue || ""}`);
    }
  }
}
JS
echo "reports: $OUT"
