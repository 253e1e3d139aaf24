#!/usr/bin/env bash
# Installs what discord-worker needs to build and test on Debian 12, and nothing that is already there:
# the C libraries (hiredis, libcurl, zlib, sqlite3, MariaDB Connector/C), redis-server, mariadb-server (its binaries only:
# tests start their own mariadbd), python3 with venv, and a Python venv with Celery for the
# interop tests and the queue benchmark; dpkg-dev and binutils for deploy/package.sh. The Swift 6 toolchain itself must be on PATH (swift.org).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"

need=()
for pkg in pkg-config libhiredis-dev libcurl4-openssl-dev zlib1g-dev libsqlite3-dev libmariadb-dev mariadb-server openssl redis-server redis-tools python3 python3-venv dpkg-dev binutils; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  # No service starts during the install (Debian's policy-rc.d convention): the tests start their own
  # redis-server and mariadbd on free loopback ports; nothing system-wide is needed or started.
  policy_added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee /usr/sbin/policy-rc.d >/dev/null
    $sudo_cmd chmod +x /usr/sbin/policy-rc.d
    policy_added=1
    trap '$sudo_cmd rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
  [ -n "$policy_added" ] && $sudo_cmd rm -f /usr/sbin/policy-rc.d
fi
# A packaged redis-server starts a system service on 6379; nothing here uses it (tests start their own).

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: the Swift 6 toolchain is not on PATH (install it from swift.org, e.g. to /opt/swift)" >&2
  exit 1
fi

if [ ! -x "$repo/.venv/bin/python" ] || ! "$repo/.venv/bin/python" -c "import celery, redis" >/dev/null 2>&1; then
  echo "setup: creating $repo/.venv with celery[redis]==5.7.0"
  python3 -m venv --clear "$repo/.venv"
  "$repo/.venv/bin/pip" install -q --disable-pip-version-check "celery[redis]==5.7.0"
fi
echo "setup: ok"
