#!/usr/bin/env bash
# Tests the release artifacts (deploy/package.sh), not the build tree:
#   1. unpacks the tarball and `dpkg -x`es the .deb into scratch roots and checks their contents
#      (files, modes, conffile, Depends, maintainer scripts; both carry the same binary);
#   2. `ldd`: every library resolves, none from the Swift toolchain, no Swift runtime library at all;
#   3. follows the README's install steps on the unpacked .deb: writes the env file from the shipped
#      /etc/discord-worker/env, runs `check` against the Discord sandbox, enqueues real tasks, runs the
#      INSTALLED binary (`run --exit-when-idle`) against its own redis-server and the sandbox on loopback,
#      and verifies the outcomes in Redis, AA's database, `status --json` and the log;
#   4. measures the packaged binary's idle memory (/proc/PID/smaps_rollup) and stops it with SIGTERM;
#   5. the Docker image's HEALTHCHECK script (deploy/docker/healthcheck.sh) against a tiny HTTP server;
#   6. with --install (root, apt): `apt-get install ./the.deb` on this machine (postinst: system user,
#      env file root:discord-worker 640), runs the installed worker as that user, then purges it.
# Usage: deploy/test-package.sh [--install] [DIST_DIR]    (DISCORD_SANDBOX=path overrides the sandbox binary)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
install_test=0
dist="dist"
for arg in "$@"; do
  case "$arg" in
    --install) install_test=1 ;;
    -*) echo "usage: $0 [--install] [DIST_DIR]" >&2; exit 2 ;;
    *) dist="$arg" ;;
  esac
done

fail() { echo "test-package: FAIL: $*" >&2; exit 1; }
step() { echo "test-package: $*"; }

deb="$(ls -t "$dist"/discord-worker_*.deb 2>/dev/null | head -1)"
tarball="$(ls -t "$dist"/discord-worker-*-linux-*.tar.gz 2>/dev/null | head -1)"
[ -n "$deb" ] && [ -n "$tarball" ] || fail "no artifacts in $dist/ (run deploy/package.sh first)"
sandbox="${DISCORD_SANDBOX:-}"
for candidate in .build/debug/discord-sandbox .build/release/discord-sandbox; do
  [ -z "$sandbox" ] && [ -x "$candidate" ] && sandbox="$candidate"
done
[ -n "$sandbox" ] || fail "no discord-sandbox binary (swift build --product discord-sandbox)"
# The toolchain directory: swift is TOOLCHAIN/usr/bin/swift.
toolchain="/opt/swift"
if command -v swift >/dev/null 2>&1; then
  toolchain="$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")"
fi

scratch="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT

# --- 1. contents --------------------------------------------------------------------------------
step "unpacking $(basename "$deb") and $(basename "$tarball") into scratch roots"
mkdir -p "$scratch/deb" "$scratch/tar" "$scratch/control"
dpkg-deb -x "$deb" "$scratch/deb"
dpkg-deb -e "$deb" "$scratch/control"
tar -xzf "$tarball" -C "$scratch/tar"
root="$scratch/deb"
tardir="$(find "$scratch/tar" -mindepth 1 -maxdepth 1 -type d | head -1)"

mode() { stat -c %a "$1"; }
[ "$(mode "$root/usr/bin/discord-worker")" = 755 ] || fail "/usr/bin/discord-worker is not 755"
[ "$(mode "$root/etc/discord-worker/env")" = 640 ] || fail "/etc/discord-worker/env is not 640"
for file in lib/systemd/system/discord-worker.service usr/share/man/man1/discord-worker.1.gz \
            usr/share/doc/discord-worker/examples/supervisor-discord-worker.conf; do
  [ -f "$root/$file" ] || fail "the .deb lacks /$file"
done
grep -qx /etc/discord-worker/env "$scratch/control/conffiles" || fail "/etc/discord-worker/env is not a conffile"
grep -q "adduser --system" "$scratch/control/postinst" || fail "postinst creates no system user"
grep -q "^ExecStart=/usr/bin/discord-worker run --env-file /etc/discord-worker/env" "$root/lib/systemd/system/discord-worker.service" \
  || fail "the unit does not run /usr/bin/discord-worker with /etc/discord-worker/env"
if command -v systemd-analyze >/dev/null 2>&1; then  # the unit's syntax, pointed at the unpacked binary
  sed -e "s|/usr/bin/discord-worker|$root/usr/bin/discord-worker|" -e '/^Documentation=/d' \
    "$root/lib/systemd/system/discord-worker.service" > "$scratch/discord-worker.service"
  systemd-analyze verify "$scratch/discord-worker.service" >"$scratch/verify.out" 2>&1 \
    || fail "systemd-analyze verify: $(cat "$scratch/verify.out")"
fi
zcat "$root/usr/share/man/man1/discord-worker.1.gz" | grep -q "^\.Sh NAME" || fail "the man page has no NAME section"
depends="$(dpkg-deb -f "$deb" Depends)"
for pkg in $(sed 's/#.*//' deploy/runtime-packages.txt) adduser; do
  echo ", $depends," | grep -q "[ ,]$pkg[ ,(]" || fail "Depends lacks $pkg: $depends"
done
for file in discord-worker discord-worker.1.gz discord-worker.service supervisor-discord-worker.conf env.example DEPENDS VERSION README.md; do
  [ -f "$tardir/$file" ] || fail "the tarball lacks $file"
done
grep -q "^ExecStart=/usr/local/bin/discord-worker " "$tardir/discord-worker.service" || fail "the tarball's unit does not run /usr/local/bin"
cmp -s "$root/usr/bin/discord-worker" "$tardir/discord-worker" || fail "the .deb and the tarball carry different binaries"
size=$(stat -c %s "$root/usr/bin/discord-worker")
step "contents ok (binary $((size / 1024 / 1024)) MiB, Depends: $depends)"

# --- 2. libraries -------------------------------------------------------------------------------
for bin in "$root/usr/bin/discord-worker" "$tardir/discord-worker"; do
  libs="$(ldd "$bin")"
  ! grep -q "not found" <<< "$libs" || fail "$bin: missing libraries: $(grep "not found" <<< "$libs")"
  ! grep -qF "$toolchain/" <<< "$libs" || fail "$bin: resolves into the toolchain $toolchain: $(grep -F "$toolchain/" <<< "$libs")"
  ! grep -Eq "libswift|libFoundation|libdispatch|libBlocksRuntime|lib_FoundationICU" <<< "$libs" \
    || fail "$bin: links a Swift runtime library dynamically"
  ! readelf -d "$bin" | grep -Eq "RPATH|RUNPATH" || fail "$bin: has a run path: $(readelf -d "$bin" | grep -E "RPATH|RUNPATH")"
done
step "ldd ok: $(ldd "$root/usr/bin/discord-worker" | wc -l) libraries, none in $toolchain, no Swift runtime library"

# --- 3. the README's install steps on the unpacked .deb -----------------------------------------
worker="$root/usr/bin/discord-worker"
version="$("$worker" --version | sed -n '1s/^discord-worker //p')"
commit="$("$worker" --version | sed -n 's/^commit: //p')"
[ -n "$version" ] && [ -n "$commit" ] || fail "--version printed: $("$worker" --version)"
"$worker" --version | grep -q "^hiredis: 0\.14\." || fail "--version names no hiredis"
"$worker" help run | grep -q -- "--exit-when-idle" || fail "'help run' shows no --exit-when-idle"
step "installed binary: $("$worker" --version | tr '\n' ' ')"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "timed out waiting for $what"
    sleep 0.1
  done
}
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$scratch" --loglevel warning \
  >"$scratch/redis.log" 2>&1 &
pids+=($!)
wait_for 10 "redis-server" redis-cli -p "$port" ping
"$sandbox" --port 0 --members 3 --profile unlimited >"$scratch/sandbox.out" 2>&1 &
pids+=($!)
wait_for 30 "the sandbox" grep -q "listening on http://" "$scratch/sandbox.out"
api="$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$scratch/sandbox.out" | head -1)"
step "redis-server on 127.0.0.1:$port, sandbox on $api"

# AA's database (SQLite from AA's real schema): user 1 linked to the sandbox's member 300000000000000001.
python3 - "$scratch/allianceauth.db" Fixtures/allianceauth/schema_sqlite.sql <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript(open(sys.argv[2]).read())
db.execute("INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) VALUES (1, '', 0, 'pilot', '', '', '', 0, 1, '2026-01-01 00:00:00')")
db.execute("INSERT INTO discord_discorduser (user_id, uid, username, discriminator) VALUES (1, 300000000000000001, 'stale', '0')")
db.commit()
PY

# README "Install", step 2: /etc/discord-worker/env from the shipped one, values replaced key by key.
env="$root/etc/discord-worker/env"
set_env() {  # set_env KEY VALUE: replaces KEY's line in the env file, or appends it
  if grep -q "^$1=" "$env"; then
    python3 - "$env" "$1" "$2" <<'PY'
import sys
path, key, value = sys.argv[1:]
lines = open(path).read().splitlines()
open(path, "w").write("\n".join(f"{key}={value}" if l.startswith(key + "=") else l for l in lines) + "\n")
PY
  else
    echo "$1=$2" >> "$env"
  fi
}
set_env DISCORD_GUILD_ID 800000000000000001
set_env DISCORD_BOT_TOKEN sandbox-bot-token
set_env DISCORD_API_BASE_URL "$api/api/v10/"
set_env DISCORD_CALLBACK_URL "http://127.0.0.1/discord/callback/"
set_env BROKER_URL "redis://127.0.0.1:$port/0"
set_env CACHE_URL "redis://127.0.0.1:$port/1"
set_env CELERY_RESULT_BACKEND "redis://127.0.0.1:$port/2"
set_env DATABASE_URL "sqlite:///$scratch/allianceauth.db"
w() { "$worker" "$@" --env-file "$env"; }

# README "Install", step 3: check.
w check > "$scratch/check.out" 2>&1 || { cat "$scratch/check.out"; fail "check failed against the sandbox"; }
step "check ok: $(grep -c "^ok" "$scratch/check.out" || true) ok, $(grep -c "^warn" "$scratch/check.out" || true) warnings"

# Work: a per-user task, a guild task, a ping with a result, a message only a dead letter can hold.
w enqueue discord.update_username --args '[1]' >/dev/null
w enqueue discord.update_servername >/dev/null
ping_id="$(w enqueue celery.ping)"
redis-cli -p "$port" LPUSH services 'not a message {' >/dev/null
timeout 120 "$worker" run --exit-when-idle --env-file "$env" 2>"$scratch/worker.log" \
  || { tail -30 "$scratch/worker.log"; fail "run --exit-when-idle failed"; }
grep "worker started" "$scratch/worker.log" | grep -q "version=$version (commit" \
  || { grep "worker started" "$scratch/worker.log"; fail "the startup line does not name the version"; }

username="$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT username FROM discord_discorduser WHERE user_id = 1").fetchone()[0])' "$scratch/allianceauth.db")"
[ "$username" = user00001 ] || fail "discord.update_username stored '$username', not the sandbox's 'user00001'"
guild_key="DISCORD_GUILD_NAME__$(printf %s 800000000000000001 | md5sum | cut -d' ' -f1)"
[ "$(redis-cli -p "$port" -n 1 GET "$guild_key")" = "Sandbox Guild" ] || fail "discord.update_servername stored no guild name"
redis-cli -p "$port" -n 2 GET "celery-task-meta-$ping_id" | grep -q '"status": "SUCCESS"' || fail "no celery.ping result"
# No worker is alive any more: status reports and exits 3 ("no live worker", see status --help).
code=0; w status --json > "$scratch/status.json" || code=$?
[ "$code" = 3 ] || fail "status without a live worker exited $code, expected 3"
python3 - "$scratch/status.json" "$version" "$commit" <<'PY' || fail "status --json: $(cat "$scratch/status.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["dead_letters"] == 1 and s["in_flight"] == 0 and s["delayed"] == 0, s
assert s["version"]["version"] == sys.argv[2] and s["version"]["commit"] == sys.argv[3], s["version"]
assert {"hiredis", "libcurl", "sqlite"} <= set(s["version"]["libraries"]), s["version"]
PY
step "enqueue → run --exit-when-idle → status ok (username synced, guild name cached, ping result, 1 dead letter)"

# --- 4. idle memory -----------------------------------------------------------------------------
"$worker" run --env-file "$env" 2>"$scratch/idle.log" &
idle_pid=$!
pids+=("$idle_pid")
wait_for 30 "the idle worker to start" grep -q "worker started" "$scratch/idle.log"
wait_for 30 "the idle worker's registration" sh -c "\"$worker\" status --json --env-file \"$env\" | grep -q '\"alive\":true'"
kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$idle_pid/smaps_rollup"; }
rss=$(kib Rss); anon=$(kib Anonymous); private=$(( $(kib Private_Clean) + $(kib Private_Dirty) ))
step "idle memory: RSS $((rss / 1024)) MiB ($rss KiB), anonymous $((anon / 1024)) MiB ($anon KiB), private $((private / 1024)) MiB ($private KiB)"
kill -TERM "$idle_pid"
wait "$idle_pid" || fail "SIGTERM: the idle worker exited with $?"
step "SIGTERM: the idle worker stopped with exit code 0"

# --- 5. the Docker image's health check ---------------------------------------------------------
health="deploy/docker/healthcheck.sh"
env -u DISCORD_WORKER_HTTP_ADDRESS bash "$health" || fail "healthcheck: must pass when DISCORD_WORKER_HTTP_ADDRESS is unset"
hport=$(free_port)
python3 - "$hport" >"$scratch/http.log" 2>&1 <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *args): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
pids+=($!)
wait_for 10 "the HTTP server" python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $hport))"
DISCORD_WORKER_HTTP_ADDRESS="0.0.0.0:$hport" bash "$health" || fail "healthcheck: /healthz answering 200 must pass"
DISCORD_WORKER_HTTP_ADDRESS="127.0.0.1:$(free_port)" bash "$health" 2>/dev/null && fail "healthcheck: a closed port must fail"
step "docker healthcheck script ok (unset: pass, 200: pass, closed port: fail)"

# --- 6. optional: a real install on this machine ------------------------------------------------
if [ "$install_test" -eq 1 ]; then
  [ "$(id -u)" -eq 0 ] || fail "--install needs root"
  dpkg -s discord-worker >/dev/null 2>&1 && fail "discord-worker is already installed here; --install tests a fresh install"
  step "apt-get install $deb"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(readlink -f "$deb")" >/dev/null
  getent passwd discord-worker >/dev/null || fail "postinst created no discord-worker user"
  [ "$(stat -c '%U:%G %a' /etc/discord-worker/env)" = "root:discord-worker 640" ] || fail "/etc/discord-worker/env: $(stat -c '%U:%G %a' /etc/discord-worker/env)"
  [ "$(stat -c '%U:%G %a' /etc/discord-worker)" = "root:discord-worker 750" ] || fail "/etc/discord-worker: $(stat -c '%U:%G %a' /etc/discord-worker)"
  # The settings written above, as an operator would write them; AA's SQLite file writable by the worker.
  cp "$env" /etc/discord-worker/env
  chown discord-worker "$scratch" "$scratch/allianceauth.db"
  chmod 755 "$scratch"
  /usr/bin/discord-worker enqueue celery.ping --env-file /etc/discord-worker/env >/dev/null
  runuser -u discord-worker -- /usr/bin/discord-worker check --env-file /etc/discord-worker/env >/dev/null \
    || fail "check as the discord-worker user failed"
  runuser -u discord-worker -- timeout 60 /usr/bin/discord-worker run --exit-when-idle --env-file /etc/discord-worker/env 2>/dev/null \
    || fail "run as the discord-worker user failed"
  man -w discord-worker >/dev/null 2>&1 || [ -f /usr/share/man/man1/discord-worker.1.gz ] || fail "no man page installed"
  dpkg --purge discord-worker >/dev/null
  [ ! -e /usr/bin/discord-worker ] && [ ! -e /etc/discord-worker ] || fail "purge left files behind"
  step "install ok: apt-get install (user discord-worker, env root:discord-worker 640), check and run as that user, purge"
fi

echo "test-package: ok ($(basename "$deb"), $(basename "$tarball"))"
