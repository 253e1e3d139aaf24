#!/usr/bin/env bash
# Drives a built discord-worker the way an operator does: its own redis-server on loopback,
# `enqueue`, `redis-cli LPUSH`, `run --exit-when-idle`, `status --json`, `dead-letters`.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-.build/debug/discord-worker}"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --loglevel warning
trap 'kill $(cat "$dir/redis.pid") 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
export BROKER_URL="redis://127.0.0.1:$port/0" CACHE_URL="redis://127.0.0.1:$port/1" CELERY_RESULT_BACKEND="redis://127.0.0.1:$port/2"
# An empty AA database from the real schema, a guild and a token; the API base is a closed loopback port
# (celery.ping needs no Discord, and nothing may ever reach discord.com from here).
python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).executescript(open(sys.argv[2]).read())' \
  "$dir/allianceauth.db" Fixtures/allianceauth/schema_sqlite.sql
export DATABASE_URL="sqlite:///$dir/allianceauth.db" DISCORD_GUILD_ID=100000000000000001 \
  DISCORD_BOT_TOKEN=smoke-token-not-real DISCORD_API_BASE_URL=http://127.0.0.1:9/api/v10/

id=$("$bin" enqueue celery.ping)
redis-cli -p "$port" LPUSH services celery.ping >/dev/null
redis-cli -p "$port" LPUSH services 'not a message {' >/dev/null
timeout 60 "$bin" run --exit-when-idle 2>"$dir/worker.log"
result=$(redis-cli -p "$port" -n 2 GET "celery-task-meta-$id")
echo "$result" | grep -q '"status": "SUCCESS"' || { echo "smoke: celery.ping result missing: $result"; cat "$dir/worker.log"; exit 1; }
# No worker runs now: status reports that with exit code 3 (README "status exit codes").
set +e; status_json=$("$bin" status --json); code=$?; set -e
[ "$code" = 3 ] || { echo "smoke: status without a live worker exited $code, expected 3"; exit 1; }
echo "$status_json" | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["dead_letters"]==1 and s["in_flight"]==0 and s["delayed"]==0, s'
"$bin" dead-letters list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[0]["message"]=="not a message {", d'
set +e
"$bin" enqueue discord.update_groups --args '[1, 2, 3]' 2>/dev/null; code=$?
set -e
[ "$code" -eq 2 ] || { echo "smoke: bad arguments should exit 2, got $code"; exit 1; }
echo "smoke: ok (enqueue, redis-cli LPUSH, run --exit-when-idle, results, status, dead letters, exit codes)"
