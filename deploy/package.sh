#!/usr/bin/env bash
# Builds the release artifacts of discord-worker on Debian 12, into dist/:
#   discord-worker_VERSION_ARCH.deb               /usr/bin/discord-worker, the systemd unit, the man page,
#                                                  /etc/discord-worker/env (conffile), the system user (postinst);
#                                                  Depends: the C libraries (dpkg-shlibdeps + deploy/runtime-packages.txt)
#   discord-worker-VERSION-linux-ARCH.tar.gz       the same binary, unit, man page, env example, supervisor program
#   discord-worker-VERSION-ARCH.debug              debug symbols of the stripped binary (gnu_debuglink)
#   SHA256SUMS
# The binary links the Swift runtime statically: an AA host needs no Swift toolchain, only the Debian
# packages in deploy/runtime-packages.txt. Test the artifacts with deploy/test-package.sh.
# Usage: deploy/package.sh [OUT_DIR]   (default dist)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
out="$(mkdir -p "${1:-dist}" && cd "${1:-dist}" && pwd)"
for tool in swift dpkg-deb dpkg-shlibdeps objcopy strip gzip; do
  command -v "$tool" >/dev/null || { echo "package: $tool is missing (deploy/dev/setup.sh installs dpkg-dev and binutils)" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
started=$SECONDS
bash deploy/build-release.sh "$work/bin"
build_seconds=$((SECONDS - started))
bin="$work/bin/discord-worker"

version="$("$bin" --version | sed -n '1s/^discord-worker //p')"
commit="$("$bin" --version | sed -n 's/^commit: //p')"
arch="$(dpkg --print-architecture)"
[ -n "$version" ] || { echo "package: the binary printed no version" >&2; exit 1; }

# Man page from the command's own help (swift-argument-parser's generate-manual tool, a small debug build).
swift build --product generate-manual >/dev/null
mkdir -p "$work/man"
manual_date="$(git log -1 --format=%cs 2>/dev/null || date -u +%F)"
"$(swift build --product generate-manual --show-bin-path)/generate-manual" "$bin" \
  --output-directory "$work/man" --section 1 --date "$manual_date" --authors "discord-worker contributors"
gzip -9n "$work/man/discord-worker.1"

runtime_packages=()
while read -r name _; do
  [ -n "$name" ] && runtime_packages+=("$name")
done < <(sed 's/#.*//' deploy/runtime-packages.txt)

# --- the .deb ---------------------------------------------------------------------------------
root="$work/deb"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/discord-worker" \
  "$root/usr/share/man/man1" "$root/usr/share/doc/discord-worker/examples"
install -m 755 "$bin" "$root/usr/bin/discord-worker"
install -m 644 deploy/systemd/discord-worker.service "$root/lib/systemd/system/discord-worker.service"
# Mode and group are set by postinst once the discord-worker group exists (root:discord-worker 640).
install -m 640 deploy/env.example "$root/etc/discord-worker/env"
install -m 644 "$work/man/discord-worker.1.gz" "$root/usr/share/man/man1/discord-worker.1.gz"
install -m 644 deploy/env.example "$root/usr/share/doc/discord-worker/examples/env.example"
install -m 644 deploy/supervisor/discord-worker.conf "$root/usr/share/doc/discord-worker/examples/supervisor-discord-worker.conf"
gzip -9nc README.md > "$root/usr/share/doc/discord-worker/README.md.gz"
chmod 644 "$root/usr/share/doc/discord-worker/README.md.gz"
install -m 755 deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm "$root/DEBIAN/"
echo /etc/discord-worker/env > "$root/DEBIAN/conffiles"

# Depends: what dpkg-shlibdeps derives from the binary (with minimum versions), plus every package of
# runtime-packages.txt (libmariadb3 before the MariaDB backend links it; ca-certificates), plus adduser
# for postinst. A library the binary needs that runtime-packages.txt lacks would break the Docker image.
mkdir -p "$work/shlibs/debian"
printf 'Source: discord-worker\n\nPackage: discord-worker\nArchitecture: any\n' > "$work/shlibs/debian/control"
shlibdeps="$(cd "$work/shlibs" && dpkg-shlibdeps -O -e"$root/usr/bin/discord-worker" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
[ -n "$shlibdeps" ] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
depends=()
IFS=',' read -ra derived <<< "$shlibdeps"
for dep in "${derived[@]}"; do
  dep="$(echo "$dep" | sed 's/^ *//; s/ *$//')"
  name="${dep%% *}"
  if [ "$name" != libc6 ] && ! printf '%s\n' "${runtime_packages[@]}" | grep -qx "$name"; then
    echo "package: the binary needs $name (dpkg-shlibdeps) but deploy/runtime-packages.txt lacks it: add it there" >&2
    exit 1
  fi
  depends+=("$dep")
done
for name in "${runtime_packages[@]}" adduser; do
  printf '%s\n' "${depends[@]}" | grep -q "^$name\( \|$\)" || depends+=("$name")
done
depends_line="$(IFS=','; echo "${depends[*]}" | sed 's/,/, /g')"

installed_kib="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
cat > "$root/DEBIAN/control" <<EOF
Package: discord-worker
Version: $version
Architecture: $arch
Maintainer: discord-worker contributors <discord-worker@localhost>
Installed-Size: $installed_kib
Depends: $depends_line
Section: net
Priority: optional
Description: Celery-compatible worker for Alliance Auth's discord.* tasks
 A drop-in replacement, written in Swift, for the Python Celery worker that runs
 Alliance Auth's Discord service tasks: the same Celery messages from the same
 Redis lists, AA's own database, Discord's rate limits shared through Redis.
 Built from commit $commit.
EOF
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
deb="$out/discord-worker_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null

# --- the tarball ------------------------------------------------------------------------------
name="discord-worker-$version-linux-$arch"
tree="$work/tar/$name"
install -d "$tree"
install -m 755 "$bin" "$tree/discord-worker"
install -m 644 "$work/man/discord-worker.1.gz" "$tree/discord-worker.1.gz"
sed 's|/usr/bin/discord-worker|/usr/local/bin/discord-worker|g' deploy/systemd/discord-worker.service > "$tree/discord-worker.service"
sed 's|/usr/bin/discord-worker|/usr/local/bin/discord-worker|g' deploy/supervisor/discord-worker.conf > "$tree/supervisor-discord-worker.conf"
install -m 644 deploy/env.example "$tree/env.example"
install -m 644 README.md "$tree/README.md"
printf '%s\n' "${runtime_packages[@]}" > "$tree/DEPENDS"
"$bin" --version > "$tree/VERSION"
chmod 644 "$tree"/*.service "$tree"/*.conf "$tree/DEPENDS" "$tree/VERSION"
tarball="$out/$name.tar.gz"
tar -C "$work/tar" --owner=0 --group=0 --numeric-owner --sort=name -czf "$tarball" "$name"

install -m 644 "$work/bin/discord-worker.debug" "$out/discord-worker-$version-$arch.debug"
(cd "$out" && sha256sum "$(basename "$deb")" "$(basename "$tarball")" "discord-worker-$version-$arch.debug" > SHA256SUMS)

echo "package: $deb ($(du -h "$deb" | cut -f1))"
echo "package: $tarball ($(du -h "$tarball" | cut -f1))"
echo "package: binary $(stat -c %s "$bin") bytes stripped; version $version, commit $commit; release build ${build_seconds}s"
echo "package: Depends: $depends_line"
