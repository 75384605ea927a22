#!/usr/bin/env bash
# Load runs of docs/PERFORMANCE.md against the release server on loopback, with oha (crates.io).
#
#   scripts/load.sh [seconds]              each run lasts this long (default 30)
#   scripts/load.sh --instances [seconds]  several instances: see below
#
# Needs the release build (`cargo leptos build --release`, or `scripts/dev run` once). Starts the
# fake Open Platform gateway (tests/it/common/fake_gateway.rs, signatures verified) and the release
# server with the rate limit off, then runs, 64 connections each:
#   1. GET /healthz                                  the baseline
#   2. GET /api/v1/check for one cached product      goal: >= 0.6x the baseline, p99 < 5 ms
#   3. GET /api/v1/check over 100 remembered products, one a request, and
#   4. POST /api/v1/check/batch of the same 100      goal: >= 0.6x run 3's links per second
#   5. GET /api/v1/check for random products, the gateway failing one call in ten:
#      zero 5xx, memory flat (RSS sampled every 5 s; from 60 s on, the end within 10% of 10 s)
# and prints the figures with the server's peak RSS. It exits 1 when a goal is missed.
# Everything stops when the script ends.
#
# With --instances: a PostgreSQL in a temporary folder (scripts/test-pg.sh), and on it one
# instance alone and two instances behind nginx (deploy/nginx/linksmith.conf), beside one instance
# on SQLite; the same two runs (one cached product; a new product per request, so each goes to the
# store and the gateway) against each, printed as ratios to the one instance on PostgreSQL; and
# that instance's /healthz: it exits 1 when a cached check on PostgreSQL is under 0.6x of it or its
# p99 is 5 ms or more.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=single
if [ "${1:-}" = "--instances" ]; then
  MODE=instances
  shift
fi
SECS="${1:-30}"
CONNS=64
GW_ADDR=127.0.0.1:3298
ADDR=127.0.0.1:3300
KEY=700123
SECRET=load-test-secret-5e5e
OUT="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

command -v oha >/dev/null || cargo install oha --locked --version 1.16.0
[ -x target/release/linksmith ] && [ -d target/site/pkg ] || {
  echo "scripts/load.sh: build first: cargo leptos build --release" >&2
  exit 2
}
cargo build --quiet --features ssr --example fake_gateway

wait_for() {
  for _ in $(seq 1 100); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "scripts/load.sh: $1 did not come up" >&2
  exit 1
}

start_gateway() {
  FAKE_GATEWAY_ADDR=$GW_ADDR FAKE_GATEWAY_KEY=$KEY FAKE_GATEWAY_SECRET=$SECRET \
    FAKE_GATEWAY_MODE="$1" FAKE_GATEWAY_ANY_ID=1 target/debug/examples/fake_gateway \
    2>"$OUT/gateway.log" &
  GW_PID=$!
  PIDS+=("$GW_PID")
  wait_for "http://$GW_ADDR/healthz"
}

if [ "$MODE" = instances ]; then
  eval "$(scripts/test-pg.sh start)"
  PG_DATA="$LINKSMITH_TEST_PGDATA"
  trap 'cleanup; LINKSMITH_TEST_PGDATA="$PG_DATA" scripts/test-pg.sh destroy' EXIT
  psql -q "$LINKSMITH_TEST_DATABASE_URL/postgres" -c "CREATE DATABASE load"
  DB_URL="$LINKSMITH_TEST_DATABASE_URL/load"
  start_gateway wrapped
  start_instance() { # address, log name[, database address: empty for SQLite]
    LEPTOS_SITE_ADDR=$1 LEPTOS_SITE_ROOT=target/site LINKSMITH_API_RATE=off \
      LINKSMITH_DATABASE_URL="${3-$DB_URL}" LINKSMITH_DB="$OUT/$2.db" \
      LINKSMITH_TRUSTED_PROXIES=127.0.0.1 RUST_LOG=warn \
      ALIEXPRESS_API_URL="http://$GW_ADDR/sync" ALIEXPRESS_APP_KEY=$KEY \
      ALIEXPRESS_APP_SECRET=$SECRET ALIEXPRESS_TRACKING_ID=load \
      target/release/linksmith 2>"$OUT/$2.log" &
    PIDS+=("$!")
    wait_for "http://$1/healthz"
  }
  ONE=127.0.0.1:3310
  start_instance $ONE one
  SQLITE=127.0.0.1:3314
  start_instance $SQLITE sqlite ""
  start_instance 127.0.0.1:3311 a
  start_instance 127.0.0.1:3312 b
  PROXY=127.0.0.1:3313
  mkdir -p "$OUT/nginx"
  sed -e 's/127.0.0.1:3000/127.0.0.1:3311/' -e 's/127.0.0.1:3001/127.0.0.1:3312/' \
    -e "s/listen 80;/listen $PROXY;/" deploy/nginx/linksmith.conf >"$OUT/nginx/linksmith.conf"
  N="$OUT/nginx"
  {
    [ "$(id -u)" -ne 0 ] || echo "user root root;"
    echo "daemon off; worker_processes 2; pid $N/nginx.pid; error_log $N/error.log warn;"
    echo "events { worker_connections 4096; }"
    echo "http { access_log off; client_body_temp_path $N/body; proxy_temp_path $N/proxy;"
    echo "  fastcgi_temp_path $N/f; uwsgi_temp_path $N/u; scgi_temp_path $N/s; include $N/linksmith.conf; }"
  } >"$N/nginx.conf"
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
  "$NGINX" -p "$N" -c "$N/nginx.conf" &
  PIDS+=("$!")
  wait_for "http://$PROXY/healthz"
  Q='/api/v1/check?url=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html&country=US'
  curl -fsS "http://$ONE$Q" | grep -q '"status":"affiliate"' || { echo "scripts/load.sh: warm-up failed" >&2; exit 1; }
  curl -fsS "http://$PROXY$Q" >/dev/null
  curl -fsS "http://$SQLITE$Q" >/dev/null
  run() { # name, extra oha args...
    local name=$1
    shift
    oha -z "${SECS}s" -c $CONNS --no-tui --output-format json "$@" >"$OUT/$name.json"
  }
  echo "== $(date -u +%F) $(nproc) cores, PostgreSQL $(psql -V | awk '{print $3}'), nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), oha $(oha --version | awk '{print $2}'), ${SECS} s x $CONNS connections per run"
  run one-healthz "http://$ONE/healthz"
  run sqlite-cached "http://$SQLITE$Q"
  run one-cached "http://$ONE$Q"
  run two-cached "http://$PROXY$Q"
  run sqlite-new --rand-regex-url "http://$SQLITE/api/v1/check\?url=https://aliexpress.com/item/10053[0-9]{11}.html&country=US"
  run one-new --rand-regex-url "http://$ONE/api/v1/check\?url=https://aliexpress.com/item/10051[0-9]{11}.html&country=US"
  run two-new --rand-regex-url "http://$PROXY/api/v1/check\?url=https://aliexpress.com/item/10052[0-9]{11}.html&country=US"
  STATUS=0
  python3 - "$OUT" <<'PY' || STATUS=$?
import json, sys, os
out = sys.argv[1]
def load(name):
    with open(os.path.join(out, name + ".json")) as f:
        return json.load(f)
print("| run | requests/s | p50 | p99 | status codes | ratio to one instance |")
print("| --- | --- | --- | --- | --- | --- |")
for kind in ("cached", "new"):
    base = load("one-" + kind)["summary"]["requestsPerSec"]
    for who in ("sqlite", "one", "two"):
        d = load(f"{who}-{kind}")
        s, p = d["summary"], d["latencyPercentiles"]
        codes = d.get("statusCodeDistribution", {})
        label = {"sqlite": "one instance on SQLite", "one": "one instance", "two": "nginx, two instances"}[who]
        print(f"| {kind}: {label} | {s['requestsPerSec']:,.0f} | {p['p50']*1000:.2f} ms | {p['p99']*1000:.2f} ms | {codes} | {s['requestsPerSec']/base:.2f}x |")
health = load("one-healthz")["summary"]["requestsPerSec"]
cached = load("one-cached")
ratio = cached["summary"]["requestsPerSec"] / health
p99 = cached["latencyPercentiles"]["p99"] * 1000
print(f"\none instance on PostgreSQL: /healthz {health:,.0f} requests/s; a cached check {ratio:.2f}x of it (goal >= 0.6x), p99 {p99:.2f} ms (goal < 5 ms)")
missed = ratio < 0.6 or p99 >= 5
print("MISSED: a cached check on PostgreSQL" if missed else "every goal met")
sys.exit(1 if missed else 0)
PY
  echo "raw results: $OUT"
  exit "$STATUS"
fi

start_gateway wrapped
LEPTOS_SITE_ADDR=$ADDR LEPTOS_SITE_ROOT=target/site LINKSMITH_API_RATE=off \
  LINKSMITH_DB="$OUT/load.db" RUST_LOG=warn \
  ALIEXPRESS_API_URL="http://$GW_ADDR/sync" ALIEXPRESS_APP_KEY=$KEY \
  ALIEXPRESS_APP_SECRET=$SECRET ALIEXPRESS_TRACKING_ID=load \
  target/release/linksmith 2>"$OUT/server.log" &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
wait_for "http://$ADDR/healthz"

CHECK="http://$ADDR/api/v1/check?url=https%3A%2F%2Faliexpress.com%2Fitem%2F1005006295880104.html&country=US&amount=50"
curl -fsS "$CHECK" | grep -q '"status":"affiliate"' || {
  echo "scripts/load.sh: the warm-up check did not read the product from the gateway" >&2
  exit 1
}

rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
peak() { awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status"; }

run() { # name, extra oha args...
  local name=$1
  shift
  oha -z "${SECS}s" -c $CONNS --no-tui --output-format json "$@" >"$OUT/$name.json"
}

echo "== $(date -u +%F) $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), oha $(oha --version | awk '{print $2}'), ${SECS} s x $CONNS connections per run"
echo "RSS after start: $(rss) KiB"
run healthz "http://$ADDR/healthz"
run check "$CHECK"
# 100 products, remembered by one batch first.
python3 - "$OUT/body-100.json" <<'PY'
import json, sys
urls = [f"https://aliexpress.com/item/10060000000000{i:02d}.html" for i in range(100)]
json.dump({"urls": urls, "country": "US", "amount": 50}, open(sys.argv[1], "w"))
PY
curl -fsS -H 'content-type: application/json' --data-binary "@$OUT/body-100.json" \
  "http://$ADDR/api/v1/check/batch" | grep -q '"checked":100' || {
  echo "scripts/load.sh: the warm-up batch did not check 100 products" >&2
  exit 1
}
run singles --rand-regex-url "http://$ADDR/api/v1/check\?url=https://aliexpress.com/item/10060000000000[0-9]{2}.html&country=US&amount=50"
run batch -m POST -T application/json -D "$OUT/body-100.json" "http://$ADDR/api/v1/check/batch"
echo "RSS after the clean runs: $(rss) KiB (peak $(peak) KiB)"

# Faults: the gateway fails one call in ten; every request names a product never seen before.
kill "$GW_PID"
wait "$GW_PID" 2>/dev/null || true
start_gateway flaky:10
(
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    echo "$(date +%s) $(rss)"
    sleep 5
  done
) >"$OUT/rss.txt" &
PIDS+=("$!")
run faults --rand-regex-url "http://$ADDR/api/v1/check\?url=https://aliexpress.com/item/10050[0-9]{11}.html&country=US"
echo "RSS during the fault run (KiB, every 5 s): $(awk '{print $2}' "$OUT/rss.txt" | tr '\n' ' ')"
echo "peak RSS: $(peak) KiB"

STATUS=0
python3 - "$OUT" <<'PY' || STATUS=$?
import json, sys, os
out = sys.argv[1]
def load(name):
    with open(os.path.join(out, name + ".json")) as f:
        return json.load(f)
rows = []
for name in ("healthz", "check", "singles", "batch", "faults"):
    d = load(name)
    s, p = d["summary"], d["latencyPercentiles"]
    codes = d.get("statusCodeDistribution", {})
    errors = d.get("errorDistribution", {})
    fivexx = sum(v for k, v in codes.items() if k.startswith("5"))
    rows.append((name, s["requestsPerSec"], p["p50"] * 1000, p["p99"] * 1000, codes, errors, fivexx))
print("| run | requests/s | p50 | p99 | status codes | errors |")
print("| --- | --- | --- | --- | --- | --- |")
for name, rps, p50, p99, codes, errors, fivexx in rows:
    print(f"| {name} | {rps:,.0f} | {p50:.2f} ms | {p99:.2f} ms | {codes} | {errors or 'none'} |")
base = rows[0][1]
missed = []
ratio, p99 = rows[1][1] / base, rows[1][3]
print(f"\ncheck / healthz throughput: {ratio:.2f}x (goal >= 0.6x); check p99 {p99:.2f} ms (goal < 5 ms)")
if ratio < 0.6:
    missed.append("a cached check under 0.6x /healthz")
if p99 >= 5:
    missed.append("a cached check's p99 at 5 ms or more")
singles, batch = rows[2][1], rows[3][1] * 100
print(f"a batch of 100 remembered products: {batch:,.0f} links/s against {singles:,.0f} as single checks: {batch / singles:.2f}x (goal >= 0.6x)")
if batch < 0.6 * singles:
    missed.append("a batch under 0.6x the single checks' links per second")
fivexx = rows[4][6]
print(f"faults: {fivexx} responses 5xx (goal 0)")
if fivexx:
    missed.append("5xx answers in the fault run")
# Memory: from 60 s on, the fault run ends within 10% of its figure at 10 s.
samples = [int(line.split()[1]) for line in open(os.path.join(out, "rss.txt")) if len(line.split()) == 2]
if len(samples) >= 13:
    at10, last = samples[2], samples[-1]
    print(f"fault run RSS: {at10} KiB at 10 s, {last} KiB at the end: {last / at10:.2f}x (goal <= 1.10x)")
    if last > 1.1 * at10:
        missed.append("memory grew in the fault run")
if missed:
    print("MISSED: " + "; ".join(missed))
    sys.exit(1)
print("every goal met")
PY
grep -c "circuit breaker" "$OUT/server.log" | sed 's/^/breaker log lines during the run: /' || true
echo "raw results: $OUT"
exit $STATUS
