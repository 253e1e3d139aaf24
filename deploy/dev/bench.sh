#!/usr/bin/env bash
# The benchmark table from a clean clone, in one command: setup (deploy/dev/setup.sh), a release
# build, then `discord-bench` runs against a private redis-server and the Discord-like sandbox:
#   ping (queue overhead with 1, 2 and 4 processes of each worker, idle private memory),
#   full sync (discord.update_all) of 1,000 and 10,000 users at 0%, 1% and 10% drift, and of
#   100,000 users at 0% and 1% on SQLite (with an AA-like writer on the database measuring its lock
#   waits) and on MariaDB,
#   scale-out (4 workers × 1,000 single-user tasks),
#   the 10,000-user sync at 0% and 1% again with the AA database on MariaDB,
#   latency (single-user update_groups every 2 s during a 10,000-user sync at 10%).
# Usage: deploy/dev/bench.sh [--quick]   (--quick skips the runs with a floor of minutes: 10,000 users
#                                        at 10%, 100,000 users at 1%, latency; the scale-out runs 200 tasks)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
  esac
done

bash deploy/dev/setup.sh
for product in discord-worker discord-sandbox discord-bench; do
  swift build -c release --product "$product"
done
bench="$repo/.build/release/discord-bench"
table="$(mktemp)"
trap 'rm -f "$table"' EXIT
failures=0

if "$bench" help ping >/dev/null 2>&1; then
  echo "== ping"
  "$bench" ping || { echo "bench: ping failed"; failures=$((failures + 1)); }
fi

run() {
  "$bench" "$@" --table-file "$table" || { echo "bench: $* failed"; failures=$((failures + 1)); }
}
for users in 1000 10000; do
  for drift in 0 0.01 0.1; do
    if [ "$quick" -eq 1 ] && [ "$users" -eq 10000 ] && [ "$drift" = 0.1 ]; then continue; fi
    run sync --users "$users" --drift "$drift"
  done
done
# The same sync on MariaDB (a private mariadbd per run, AA's real MariaDB schema).
for drift in 0 0.01; do
  run sync --users 10000 --drift "$drift" --database mariadb
done
for drift in 0 0.01; do
  if [ "$quick" -eq 1 ] && [ "$drift" = 0.01 ]; then continue; fi
  run sync --users 100000 --drift "$drift" --writer-probe
  run sync --users 100000 --drift "$drift" --database mariadb
done
if [ "$quick" -eq 1 ]; then run scaleout --workers 4 --tasks 200; else run scaleout --workers 4 --tasks 1000; fi
if [ "$quick" -eq 0 ]; then run latency --users 10000 --drift 0.1 --interval 2; fi

echo
echo "## discord-worker benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, sandbox with Discord-like limits, 50 ms latency)"
echo
echo "| run | users (linked) | drift | changed | wall s | floor s | wall/floor | 429s | invalid | peak RSS MB | CPU s | requests |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
cat "$table"
[ "$failures" -eq 0 ] || { echo "bench: $failures run(s) failed"; exit 1; }
