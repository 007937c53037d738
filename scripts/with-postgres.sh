#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL cluster on a free loopback port, exported to it as
# MIC2025_TEST_PG_URL. Without PostgreSQL binaries the command runs without it (the postgres
# tests then skip, or fail when MIC2025_REQUIRE_SERVICES=1).
set -uo pipefail

if [ -n "${MIC2025_TEST_PG_URL:-}" ]; then exec "$@"; fi
initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
if [ -z "$initdb" ]; then
  echo "with-postgres: no PostgreSQL found; running without it" >&2
  exec "$@"
fi
bindir=$(dirname "$initdb")
dir=$(mktemp -d /tmp/mic2025-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
as_pg() { if [ "$(id -u)" = "0" ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
[ "$(id -u)" = "0" ] && chown postgres "$dir"
as_pg "'$bindir/initdb' -D '$dir/data' -A trust -U postgres -E UTF8 --locale=C.UTF-8" >/dev/null \
  || { echo "with-postgres: initdb failed" >&2; exit 1; }
as_pg "'$bindir/pg_ctl' -D '$dir/data' -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off\" -l '$dir/server.log' -w start" >/dev/null \
  || { echo "with-postgres: server did not start" >&2; cat "$dir/server.log" >&2; exit 1; }
cleanup() { as_pg "'$bindir/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null 2>&1; rm -rf "$dir"; }
trap cleanup EXIT
export MIC2025_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL on 127.0.0.1:$port" >&2
"$@"
