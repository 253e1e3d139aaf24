#!/usr/bin/env bash
# The one release build of discord-worker, shared by deploy/package.sh and deploy/docker/Dockerfile
# (same flags by construction; Tests/PackagingTests checks that both call this script):
#   - the Swift runtime and Foundation linked statically (--static-swift-stdlib): the binary needs no
#     Swift toolchain, only the C libraries in deploy/runtime-packages.txt;
#   - no $ORIGIN run path (--disable-local-rpath): nothing is ever loaded from next to the binary;
#   - the git commit for `--version` through DISCORD_WORKER_GIT_COMMIT (Package.swift), taken from
#     git when not set;
#   - debug symbols split into OUT/discord-worker.debug (gnu_debuglink), OUT/discord-worker stripped.
# Usage: deploy/build-release.sh OUT_DIR
set -euo pipefail
out="${1:?usage: deploy/build-release.sh OUT_DIR}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
if [ -z "${DISCORD_WORKER_GIT_COMMIT:-}" ] && git -C "$repo" rev-parse HEAD >/dev/null 2>&1; then
  DISCORD_WORKER_GIT_COMMIT="$(git -C "$repo" rev-parse HEAD)"
  # A build of uncommitted changes is not that commit.
  git -C "$repo" diff --quiet HEAD -- Package.swift Sources 2>/dev/null || DISCORD_WORKER_GIT_COMMIT=unknown
fi
export DISCORD_WORKER_GIT_COMMIT="${DISCORD_WORKER_GIT_COMMIT:-unknown}"

swift build -c release --product discord-worker --static-swift-stdlib --disable-local-rpath
bin="$(swift build -c release --product discord-worker --static-swift-stdlib --disable-local-rpath --show-bin-path)/discord-worker"

mkdir -p "$out"
rm -f "$out/discord-worker" "$out/discord-worker.debug"
objcopy --only-keep-debug "$bin" "$out/discord-worker.debug"
chmod 644 "$out/discord-worker.debug"
strip --strip-all -o "$out/discord-worker" "$bin"
(cd "$out" && objcopy --add-gnu-debuglink=discord-worker.debug discord-worker)
echo "build-release: $out/discord-worker (commit $DISCORD_WORKER_GIT_COMMIT)"
