#!/usr/bin/env bash
# The demo, from a clean clone, in one command: installs what is missing (deploy/dev/setup.sh), builds
# the release binaries, then `discord-bench demo`: a 1,000-user Alliance Auth database, a private
# redis-server, the Discord sandbox with Discord-like limits, a guild with some members out of date
# and a role missing, `discord.update_all` enqueued the way AA does it (Celery, from the .venv), one
# discord-worker with live progress, and a summary. Extra arguments go to `discord-bench demo`
# (e.g. --users 2000 --drift 0.05 --keep; --database mariadb runs it on a private mariadbd).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
bash deploy/dev/setup.sh
for product in discord-worker discord-sandbox discord-bench; do
  swift build -c release --product "$product"
done
exec "$repo/.build/release/discord-bench" demo --bin-dir "$repo/.build/release" "$@"
