#!/usr/bin/env bash
# Install everything the test suite needs, start a throwaway PostgreSQL, run the whole suite
# against SQLite and PostgreSQL.  This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi -e "wenquanyi" -e "noto sans cjk" || need+=(fonts-wqy-zenhei)
if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "== installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  [ "$(id -u)" = 0 ] && { systemctl disable --now postgresql >/dev/null 2>&1 || service postgresql stop >/dev/null 2>&1 || true; }
fi

echo "== installing the package with its test dependencies"
python3 -m pip install -q --disable-pip-version-check -e ".[test]" 2>&1 | grep -v "Running pip as the 'root'" || true

echo "== starting a throwaway PostgreSQL cluster"
eval "$(bash scripts/pg-throwaway.sh start)"
trap 'bash scripts/pg-throwaway.sh stop "$PGTMP"' EXIT
echo "   $SHUANGSUIJI_TEST_PG_URL"

echo "== running the test suite (SQLite and PostgreSQL)"
python3 -m pytest -q -p no:cacheprovider -n 2 --dist loadfile "$@"
