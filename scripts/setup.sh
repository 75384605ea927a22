# Linksmith set-up: installs only what is missing, non-interactively, from the package registries
# (crates.io, npm, Debian apt). Sourced by scripts/dev; safe and quick to run again.
# shellcheck shell=bash

CARGO_LEPTOS_VERSION="0.3.10"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "'$*' needs root and sudo is not installed: run it as root, then run this command again"
  fi
}

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* with your system's package manager"
  if [ "$APT_UPDATED" -eq 0 ]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_rust() {
  [ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac
  command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup (https://rustup.rs), then run this command again"
  command -v rustup >/dev/null 2>&1 || die "rustup not found: the WASM target is added with rustup"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  # A C compiler for crates with C parts (SQLite, brotli).
  command -v cc >/dev/null 2>&1 || apt_install build-essential
}

ensure_cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -q " ${CARGO_LEPTOS_VERSION}\$"; then return; fi
  say "cargo install cargo-leptos ${CARGO_LEPTOS_VERSION} (about 15 minutes on 2 cores, once)"
  # no_downloads: a missing tool is a clear error, never a download from a website.
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION" --features no_downloads
}

ensure_wasm_bindgen() {
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
  [ -n "$want" ] || die "no wasm-bindgen in Cargo.lock"
  if wasm-bindgen --version 2>/dev/null | grep -q " ${want}\$"; then return; fi
  say "cargo install wasm-bindgen-cli ${want} (the version in Cargo.lock)"
  # Unlocked on purpose: --locked fails to build some versions.
  cargo install wasm-bindgen-cli --version "$want" --force
}

# Installs an npm project from its committed lockfile when the lockfile changed since the last install.
npm_ci_if_needed() {
  local dir="$1" stamp lock
  stamp="$dir/node_modules/.linksmith-lock"
  lock="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock" ]; then return; fi
  say "npm ci in ${dir#"$ROOT"/}"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock" > "$stamp"
}

ensure_node() {
  if ! command -v npm >/dev/null 2>&1; then apt_install nodejs npm; fi
}

ensure_build_tools() {
  ensure_node
  npm_ci_if_needed "$ROOT/tools"
  # wasm-opt from npm's binaryen (Debian's older binaryen breaks hydration); cargo-leptos finds it on PATH.
  PATH="$ROOT/tools/node_modules/.bin:$PATH"
  export PATH
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
}

# PostgreSQL's server (the store's suite and the instances test run on a real one) and nginx
# (the instances test puts two servers behind it), from Debian's packages.
ensure_postgres() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
  # scripts/test-pg.sh makes the test cluster's TLS certificates with it.
  command -v openssl >/dev/null 2>&1 || apt_install openssl
  command -v runuser >/dev/null 2>&1 || apt_install util-linux
}

ensure_nginx() {
  [ -x /usr/sbin/nginx ] || [ -x /usr/bin/nginx ] || apt_install nginx
}

# Starts the tests' PostgreSQL in a temporary folder (scripts/test-pg.sh) and stops it when the
# calling shell exits.
start_test_postgres() {
  local exports
  exports="$("$ROOT/scripts/test-pg.sh" start)" || die "the tests' PostgreSQL did not start"
  eval "$exports"
  trap '"$ROOT/scripts/test-pg.sh" destroy' EXIT
  say "PostgreSQL for the tests on ${LINKSMITH_TEST_DATABASE_URL} (data in $(dirname "$LINKSMITH_TEST_PGDATA"))"
}

ensure_e2e() {
  ensure_node
  ensure_chromium
  npm_ci_if_needed "$ROOT/end2end"
}

# Everything needed to build the site.
setup_build() {
  ensure_rust
  ensure_build_tools
  ensure_cargo_leptos
  ensure_wasm_bindgen
}
