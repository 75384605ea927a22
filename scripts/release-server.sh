# Sourced by the measuring scripts (lighthouse.sh, hydration-trace.sh): the release build's server
# on a loopback address with a store of its own in $OUT, stopped when the script exits.
#
#   start_release_server 127.0.0.1:3400 "$OUT"     (sets SERVER_PID)

start_release_server() {
  local addr="$1" out="$2"
  [ -x target/release/linksmith ] && [ -d target/site/pkg ] || {
    echo "$(basename "$0"): build first: cargo leptos build --release --split" >&2
    exit 2
  }
  LEPTOS_SITE_ADDR=$addr LEPTOS_SITE_ROOT=target/site LINKSMITH_DB="$out/server.db" RUST_LOG=warn \
    target/release/linksmith 2>"$out/server.log" &
  SERVER_PID=$!
  trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "$(basename "$0"): the server did not answer on $addr (log: $out/server.log)" >&2
  exit 1
}
