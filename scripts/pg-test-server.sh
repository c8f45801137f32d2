#!/usr/bin/env bash
# Start (or reuse) a throwaway PostgreSQL server for the test suite and print its URL.
#
# Installs PostgreSQL from Debian's packages when no server binaries are found.
# The server runs as an unprivileged user (PostgreSQL refuses root), listens on
# loopback only, and keeps its data under .pg/ in the project (git-ignored), or in /tmp
# when the checkout is not reachable by the server's user.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port=${BERSAMA_TEST_PG_PORT:-55432}
dir="$root/.pg"
# As root, the server runs as `postgres`, which must be able to reach the data directory;
# a checkout under a private directory (mktemp -d is 0700) keeps it in /tmp instead.
if [ "$(id -u)" = "0" ] && id -u postgres >/dev/null 2>&1 \
    && ! runuser -u postgres -- test -x "$root"; then
  dir="${TMPDIR:-/tmp}/bersama-test-pg-$(printf '%s' "$root" | md5sum | cut -c1-12)"
fi

find_bin() {
  for d in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin /usr/local/bin /usr/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

bin=$(find_bin || true)
if [ -z "$bin" ]; then
  echo "installing PostgreSQL (apt-get)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null) >&2
  bin=$(find_bin)
fi

run_as() {
  if [ "$(id -u)" = "0" ]; then
    id -u postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" postgres
    chown -R postgres "$dir"
    (cd / && runuser -u postgres -- "$@")  # from a directory the server's user may enter
  else
    "$@"
  fi
}

mkdir -p "$dir"
if [ ! -f "$dir/data/PG_VERSION" ]; then
  chmod 700 "$dir"
  run_as "$bin/initdb" -D "$dir/data" -U bersama --auth=trust -E UTF8 >/dev/null
fi
if ! run_as "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  run_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
fi
echo "postgresql://bersama@127.0.0.1:$port/postgres"
