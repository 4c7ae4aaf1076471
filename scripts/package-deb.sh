#!/usr/bin/env bash
# Builds the Debian package .build/deb/garrison_<version>_<arch>.deb: the layout of
# scripts/install.sh (staged with --root), the maintainer scripts in packaging/debian/ (the
# garrison user, the data folder, the unit enabled), /etc/garrison/* as conffiles, and
# Depends on the Debian packages of every shared library the binary and plugins load.
#
# usage: scripts/package-deb.sh [--build debug|release] [--skip-build]
#   --build MODE   debug or release (default release)
#   --skip-build   package the products already in .build/MODE as they are
#
# Install: apt-get install ./.build/deb/garrison_<version>_amd64.deb (pulls the dependencies).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: scripts/package-deb.sh [--build debug|release] [--skip-build]"
fail() { echo "package-deb.sh: $*" >&2; exit 1; }

build=release
skip_build=false
while [ $# -gt 0 ]; do
  case "$1" in
    --build) [ $# -ge 2 ] || fail "--build needs debug or release; $usage"; build=$2; shift 2 ;;
    --build=*) build=${1#*=}; shift ;;
    --skip-build) skip_build=true; shift ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) fail "unknown argument '$1'; $usage" ;;
  esac
done
case "$build" in debug|release) ;; *) fail "--build must be debug or release, not '$build'" ;; esac
for tool in dpkg-deb dpkg-query patchelf; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/install-deps.sh"
done

version=$(sed -n 's/.*static let string = "\([^"]*\)".*/\1/p' "$repo/Host/GarrisonHost/Version.swift")
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || fail "cannot read a Debian version from Host/GarrisonHost/Version.swift (found '$version')"
arch=$(dpkg --print-architecture)

if ! $skip_build; then
  cd "$repo"
  swift build -c "$build" --product garrison
  for file in plugins.d/*.toml; do
    library=$(sed -n 's/^library *= *"lib\([A-Za-z0-9_]*\)\.so".*/\1/p' "$file")
    if [ -n "$library" ]; then swift build -c "$build" --product "$library"; fi
  done
fi

out=$repo/.build/deb
mkdir -p "$out"
stage=$(mktemp -d "$out/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
"$repo/scripts/install.sh" --root "$stage" --build "$build" >/dev/null
# The data folder is made by postinst, owned by the user it creates; shipping it would have
# dpkg own (and on remove try to delete) the folder holding the database.
rm -rf "$stage/var"
chmod 0755 "$stage"

# Depends: the package of each library the installed objects link directly (their NEEDED
# entries; what those need in turn their own packages depend on), except the bundled Swift
# runtime. Library package names carry the soname (libnats3.4, libmsgpackc2), so a name is
# enough; libc6 gets the glibc version built against.
objects=("$stage/usr/lib/garrison/garrison" "$stage"/usr/lib/garrison/plugins/*.so)
declare -A packages=()
for object in "${objects[@]}"; do
  listing=$(env -u LD_LIBRARY_PATH ldd "$object")
  while read -r needed; do
    # "libpq.so.5 => /lib/.../libpq.so.5 (...)", or for the dynamic loader "/lib64/ld-linux-x86-64.so.2 (...)".
    path=$(awk -v name="$needed" '$1 == name && $2 == "=>" { print $3 } $1 ~ ("/" name "$") { print $1 }' <<<"$listing")
    [ -n "$path" ] || fail "ldd does not show where $needed (needed by $(basename "$object")) comes from"
    case "$path" in "$stage"/*) continue ;; esac
    owner=""
    # usrmerge: ldd may name /lib/... while dpkg knows /usr/lib/... or the other way round.
    for candidate in "$path" "/usr$path" "${path#/usr}" "$(readlink -f "$path")" "/usr$(readlink -f "$path")" "$(readlink -f "$path" | sed 's|^/usr||')"; do
      owner=$(dpkg-query -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1 || true)
      if [ -n "$owner" ]; then break; fi
    done
    [ -n "$owner" ] || fail "no Debian package owns $path (loaded by $(basename "$object")): it cannot be a dependency"
    packages[$owner]=1
  done < <(patchelf --print-needed "$object")
done
glibc=$(dpkg-query -W -f='${Version}' libc6 | sed 's/-.*//')
depends=()
for package in $(printf '%s\n' "${!packages[@]}" | sort); do
  if [ "$package" = libc6 ]; then depends+=("libc6 (>= $glibc)"); else depends+=("$package"); fi
done
# Run, not linked: the private PostgreSQL cluster and nats-server the host starts as children.
depends+=(postgresql nats-server)

install -d -m 0755 "$stage/DEBIAN"
for script in postinst prerm postrm; do
  install -m 0755 "$repo/packaging/debian/$script" "$stage/DEBIAN/$script"
done
# Every file under /etc is a conffile: dpkg keeps the admin's changes on upgrade and asks.
(cd "$stage" && find etc -type f | sort | sed 's|^|/|') >"$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
{
  echo "Package: garrison"
  echo "Version: $version"
  echo "Architecture: $arch"
  echo "Maintainer: Garrison maintainers <garrison@localhost>"
  echo "Installed-Size: $size"
  echo "Depends: $(IFS=,; echo "${depends[*]}" | sed 's/,/, /g')"
  echo "Section: admin"
  echo "Priority: optional"
  echo "Description: remote monitoring and management (RMM) server"
  echo " Garrison does the job of the Tactical RMM server and speaks its agents'"
  echo " protocol. It runs as the garrison.service systemd unit with its own"
  echo " PostgreSQL cluster and nats-server under /var/lib/garrison; configuration"
  echo " is in /etc/garrison. Features (checks, scripting, two-factor sign-in) are"
  echo " plugins in /usr/lib/garrison/plugins, enabled by /etc/garrison/plugins.d."
} >"$stage/DEBIAN/control"

deb=$out/garrison_${version}_${arch}.deb
# A debug build is about 250 MB unpacked: gzip -1 keeps packaging it (in tests) quick.
if [ "$build" = debug ]; then compression=(-Zgzip -z1); else compression=(-Zxz); fi
dpkg-deb --root-owner-group "${compression[@]}" --build "$stage" "$deb.new" >/dev/null
mv -f "$deb.new" "$deb"
echo "$deb"
