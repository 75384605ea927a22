#!/usr/bin/env bash
# The tests' PostgreSQL: Debian's server binaries, a cluster in a temporary folder, on a loopback
# port, owned by the `postgres` user when run as root (initdb refuses root). Fast and throwaway:
# fsync off (the folder is deleted at the end). TLS is on, with a throwaway certificate authority
# made by openssl (its certificate in $LINKSMITH_TEST_PG_CA) that signed the server's certificate
# for localhost and 127.0.0.1, and a second authority that signed nothing
# ($LINKSMITH_TEST_PG_OTHER_CA); plain connections are accepted as before.
#
#   scripts/test-pg.sh start          new cluster, started; prints `export` lines for the tests
#   scripts/test-pg.sh stop-server    stops the server of $LINKSMITH_TEST_PGDATA (the cluster stays)
#   scripts/test-pg.sh start-server   starts it again, on the same port
#   scripts/test-pg.sh destroy        stops it and deletes the folder
set -euo pipefail

pg_bin() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$bin" ] && [ -x "$bin/initdb" ] || { echo "test-pg: PostgreSQL's server is not installed (apt-get install postgresql)" >&2; exit 1; }
  echo "$bin"
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need_data() { [ -n "${LINKSMITH_TEST_PGDATA:-}" ] || { echo "test-pg: LINKSMITH_TEST_PGDATA is not set" >&2; exit 1; }; }

BIN="$(pg_bin)"
case "${1:-}" in
  start)
    dir="$(mktemp -d "${TMPDIR:-/tmp}/linksmith-pg.XXXXXX")"
    chmod 755 "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir"
    port=55432
    while ! port_free "$port"; do port=$((port + 1)); done
    as_owner "$BIN/initdb" -D "$dir/data" -U linksmith -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    command -v openssl >/dev/null 2>&1 || { echo "test-pg: openssl is not installed (apt-get install openssl)" >&2; exit 1; }
    tls="$dir/tls"
    mkdir -p "$tls"
    {
      for ca in ca other-ca; do
        openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
          -subj "/CN=Linksmith test $ca" -keyout "$tls/$ca.key" -out "$tls/$ca.crt" \
          -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
      done
      openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr"
      printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$tls/server.ext"
      openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
        -days 7 -extfile "$tls/server.ext" -out "$tls/server.crt"
    } >"$dir/tls.log" 2>&1 || { cat "$dir/tls.log" >&2; exit 1; }
    chmod 600 "$tls/server.key"
    [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$tls/server.key" "$tls/server.crt"
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
ssl = on
ssl_cert_file = '$tls/server.crt'
ssl_key_file = '$tls/server.key'
CONF
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "export LINKSMITH_TEST_DATABASE_URL='postgres://linksmith@127.0.0.1:$port'"
    echo "export LINKSMITH_TEST_PGDATA='$dir/data'"
    echo "export LINKSMITH_TEST_PG=required"
    echo "export LINKSMITH_TEST_PG_CA='$tls/ca.crt'"
    echo "export LINKSMITH_TEST_PG_OTHER_CA='$tls/other-ca.crt'"
    ;;
  stop-server)
    need_data
    as_owner "$BIN/pg_ctl" -D "$LINKSMITH_TEST_PGDATA" -m fast -w stop >/dev/null
    ;;
  start-server)
    need_data
    as_owner "$BIN/pg_ctl" -D "$LINKSMITH_TEST_PGDATA" -l "$(dirname "$LINKSMITH_TEST_PGDATA")/server.log" -w -t 30 start >/dev/null
    ;;
  destroy)
    need_data
    as_owner "$BIN/pg_ctl" -D "$LINKSMITH_TEST_PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$(dirname "$LINKSMITH_TEST_PGDATA")"
    ;;
  *)
    echo "usage: scripts/test-pg.sh start | stop-server | start-server | destroy" >&2
    exit 2
    ;;
esac
