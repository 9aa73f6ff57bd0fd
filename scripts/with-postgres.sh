#!/usr/bin/env bash
# Runs a command beside a private, throwaway PostgreSQL server started from the
# installed server binaries, with SPOKE_TEST_POSTGRES_URL pointing at it.
# The server lives in a temporary directory and is removed on exit.
set -euo pipefail

pgbin=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
    echo "with-postgres: no PostgreSQL server binaries (install Debian's postgresql package)" >&2
    if [ "${CI:-}" = true ]; then
        echo "with-postgres: CI=true, so the PostgreSQL suite must run; failing" >&2
        exit 1
    fi
    echo "with-postgres: running without PostgreSQL; its tests will be skipped" >&2
    exec "$@"
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/spoke-pg.XXXXXX")
port=${SPOKE_TEST_PG_PORT:-$((20000 + RANDOM % 20000))}

# initdb refuses to run as root; the packaged `postgres` user runs the server.
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
[ "$(id -u)" = 0 ] && chown postgres "$dir"

cleanup() {
    as_pg "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

as_pg "$pgbin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
# Durability is pointless for a throwaway test server; speed is not.
as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
    start >/dev/null
echo "with-postgres: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2

export SPOKE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
"$@"
