#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster (trust auth, Unix socket only) and print its URL.
# Usage: eval "$(bash scripts/pg-throwaway.sh start)"; ...; bash scripts/pg-throwaway.sh stop "$PGTMP"
set -euo pipefail
cmd=${1:-start}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
case "$cmd" in
  start)
    [ -n "$pgbin" ] || { echo "PostgreSQL server binaries not found" >&2; exit 1; }
    dir=$(mktemp -d /tmp/shuangsuiji-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_pg "'$pgbin/initdb' -D '$dir/data' -A trust -U postgres -E UTF8 --locale=C.UTF-8 >'$dir/initdb.log' 2>&1"
    as_pg "'$pgbin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -o \"-k '$dir' -c listen_addresses='' -c fsync=off -c max_connections=200\" start >/dev/null"
    echo "export PGTMP='$dir'"
    echo "export SHUANGSUIJI_TEST_PG_URL='postgresql://postgres@/postgres?host=$dir'"
    ;;
  stop)
    dir=${2:?directory}
    as_pg "'$pgbin/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null" || true
    rm -rf "$dir"
    ;;
esac
