#!/usr/bin/env bash
# The README's test command: sets up what is missing, builds, drives the built binary from the
# outside against its own redis-server (as an operator would), then runs every test (Swift Testing)
# against real redis-servers, the Discord sandbox and Python Celery, then builds the release artifacts and
# tests them (the installed binary, not the build tree).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
bash deploy/dev/setup.sh
export DISCORD_WORKER_PYTHON="$repo/.venv/bin/python"

swift build --build-tests
bash deploy/dev/smoke.sh .build/debug/discord-worker
# One test at a time: many tests run real servers, the built binary and Python Celery against windows of
# a second or two; run side by side on a 2-core machine, their processes starve each other (≈ 200 s serially).
swift test --skip-build --no-parallel
# The release artifacts (.deb, tarball) and their test on scratch roots (deploy/package.sh, deploy/test-package.sh).
bash deploy/package.sh
bash deploy/test-package.sh
