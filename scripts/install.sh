#!/usr/bin/env bash
# Installs built Garrison products as a system service (docs/install.md):
#
#   /usr/lib/garrison/garrison            the host binary (/usr/bin/garrison links to it)
#   /usr/lib/garrison/plugins/lib*.so     the shipped feature plugins (what plugins.d names)
#   /usr/lib/garrison/lib/*.so            the Swift runtime the binary and plugins were built with
#   /etc/garrison/garrison.toml           config: data in /var/lib/garrison, plugins.d below
#   /etc/garrison/plugins.d/*.toml        the repository's plugins.d files, unchanged
#   /var/lib/garrison                     data, owned by the 'garrison' system user
#   /lib/systemd/system/garrison.service  the unit (packaging/garrison.service)
#
# /usr/lib/garrison rather than /opt/garrison: this layout is also the Debian package's
# (scripts/package-deb.sh stages it with --root), and Debian policy keeps packages out of
# /opt; private binaries and libraries of one program belong in /usr/lib/<program>. The unit
# goes to /lib/systemd/system for the same reason (where bookworm's packages put units).
#
# Installing over an existing install replaces the binary, plugins and runtime (each by rename,
# so a running server keeps its mapped copies) and keeps garrison.toml, every plugins.d file
# that exists, and the data folder. Building is not part of it; by default the products come
# from .build/release (swift build -c release, see the error for the exact commands).
#
# usage: scripts/install.sh [--root DIR] [--build debug|release] [--build-dir PATH]
#   --root DIR       install under DIR (a staging or test root) instead of /. Nothing outside
#                    DIR is touched: no user is created, files are owned by whoever runs this.
#   --build MODE     debug or release (default release): use .build/MODE
#   --build-dir PATH use the products in PATH (overrides --build)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: scripts/install.sh [--root DIR] [--build debug|release] [--build-dir PATH]"
fail() { echo "install.sh: $*" >&2; exit 1; }
note() { echo "install.sh: $*"; }

root=/
build=release
build_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --root|--build|--build-dir)
      [ $# -ge 2 ] && [ -n "$2" ] || fail "$1 needs a value; $usage"
      case "$1" in --root) root=$2 ;; --build) build=$2 ;; --build-dir) build_dir=$2 ;; esac
      shift 2 ;;
    --root=*) root=${1#*=}; [ -n "$root" ] || fail "--root needs a folder; $usage"; shift ;;
    --build=*) build=${1#*=}; shift ;;
    --build-dir=*) build_dir=${1#*=}; [ -n "$build_dir" ] || fail "--build-dir needs a folder; $usage"; shift ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) fail "unknown argument '$1'; $usage" ;;
  esac
done
case "$build" in debug|release) ;; *) fail "--build must be debug or release, not '$build'" ;; esac
[ -n "$build_dir" ] || build_dir="$repo/.build/$build"
[ -d "$build_dir" ] || fail "no build folder $build_dir: build first (swift build -c $build --product garrison, and each plugin product), or name it with --build-dir"
build_dir=$(cd "$build_dir" && pwd)

if [ -e "$root" ] && [ ! -d "$root" ]; then fail "--root $root is not a folder"; fi
mkdir -p "$root" || fail "cannot create the install root $root"
root=$(cd "$root" && pwd)
system=false
if [ "$root" = / ]; then
  system=true
  [ "$(id -u)" -eq 0 ] || fail "installing into / needs root (run it with sudo), or give --root DIR to stage the install elsewhere"
  prefix=""
else
  prefix=$root
fi

for tool in patchelf ldd install; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/install-deps.sh (Debian package patchelf)"
done

# What to install: the binary, and the library behind each plugins.d file that names one by
# bare file name (the shipped plugins; run.sh builds the same list).
binary="$build_dir/garrison"
[ -x "$binary" ] || fail "no garrison executable in $build_dir: build it with swift build -c $build --product garrison"
plugins=()
for file in "$repo"/plugins.d/*.toml; do
  library=$(sed -n 's/^library *= *"\(lib[A-Za-z0-9_]*\.so\)".*/\1/p' "$file")
  [ -n "$library" ] || continue
  [ -f "$build_dir/$library" ] || fail "$(basename "$file") names $library, which is not in $build_dir: build it with swift build -c $build --product $(basename "${library#lib}" .so)"
  plugins+=("$library")
done

# The Swift runtime: every library the binary and plugins load from the toolchain, i.e. from an
# absolute folder in their run path (the linker puts the toolchain's lib folder there). These
# are copied next to the binary and the run paths rewritten to $ORIGIN-relative ones, rather
# than LD_LIBRARY_PATH in the unit: then `garrison` run from a shell, by dpkg or by systemd
# finds the same copy, and nothing else on the machine sees it. The plugins' run path points at
# the same folder, so a plugin and the host share one runtime (two copies of libswiftCore in
# one process would each keep their own type metadata).
runtime_dirs=()
for object in "$binary" "${plugins[@]/#/$build_dir/}"; do
  IFS=: read -r -a entries <<<"$(patchelf --print-rpath "$object")"
  for entry in "${entries[@]}"; do
    case "$entry" in /*) runtime_dirs+=("${entry%/}") ;; esac
  done
done
runtime=()
for object in "$binary" "${plugins[@]/#/$build_dir/}"; do
  # The toolchain folder must come from the run path alone, not from this shell's environment.
  listing=$(env -u LD_LIBRARY_PATH ldd "$object") || fail "ldd cannot read $object"
  if grep -q "not found" <<<"$listing"; then
    fail "$object needs libraries that are not installed: $(grep "not found" <<<"$listing" | tr -s ' \t' ' ' | paste -sd';') (run scripts/install-deps.sh)"
  fi
  while read -r path; do
    for dir in "${runtime_dirs[@]}"; do
      if [ "$(dirname "$path")" = "$dir" ]; then runtime+=("$path"); fi
    done
  done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 }' <<<"$listing")
done

# Copies to NAME.new and renames over NAME: a running server keeps the inode it mapped
# (writing into a mapped library in place would crash it; writing into a running binary fails
# with "Text file busy").
replace() { # source destination mode
  install -m "$3" "$1" "$2.new"
  if [ -n "${4:-}" ]; then patchelf --set-rpath "$4" "$2.new"; fi
  mv -f "$2.new" "$2"
}

lib=$prefix/usr/lib/garrison
install -d -m 0755 "$lib" "$lib/plugins" "$lib/lib" "$prefix/usr/bin" "$prefix/lib/systemd/system" "$prefix/usr/share/doc/garrison"
declare -A seen=()
for path in "${runtime[@]}"; do
  name=$(basename "$path")
  [ -z "${seen[$name]:-}" ] || continue
  seen[$name]=1
  replace "$path" "$lib/lib/$name" 0644
done
# Runtime libraries a previous install bundled that this build no longer needs.
for old in "$lib"/lib/*.so*; do
  [ -e "$old" ] || continue
  [ -n "${seen[$(basename "$old")]:-}" ] || rm -f "$old"
done
replace "$binary" "$lib/garrison" 0755 '$ORIGIN/lib'
for library in "${plugins[@]}"; do
  replace "$build_dir/$library" "$lib/plugins/$library" 0644 '$ORIGIN/../lib:$ORIGIN'
done
ln -sfn ../lib/garrison/garrison "$prefix/usr/bin/garrison"
install -m 0644 "$repo/packaging/garrison.service" "$prefix/lib/systemd/system/garrison.service"
install -m 0644 "$repo/garrison.example.toml" "$prefix/usr/share/doc/garrison/garrison.example.toml"
[ ! -f "$repo/docs/install.md" ] || install -m 0644 "$repo/docs/install.md" "$prefix/usr/share/doc/garrison/install.md"

# The installed copies must run without the toolchain: nothing may resolve into it.
for object in "$lib/garrison" "${plugins[@]/#/$lib/plugins/}"; do
  listing=$(env -u LD_LIBRARY_PATH ldd "$object") || fail "ldd cannot read the installed $object"
  if grep -q "not found" <<<"$listing"; then
    fail "the installed $object misses libraries: $(grep "not found" <<<"$listing" | paste -sd';')"
  fi
  for dir in "${runtime_dirs[@]}"; do
    if grep -qF " $dir/" <<<"$listing"; then
      fail "the installed $object still loads from the toolchain ($dir): $(grep -F " $dir/" <<<"$listing" | head -1)"
    fi
  done
done

# The service user: only on a real install; a staging root gets the invoking user's ownership
# (the Debian package creates the user in its postinst instead).
if $system && ! getent passwd garrison >/dev/null; then
  group_option=(--user-group)
  if getent group garrison >/dev/null; then group_option=(--gid garrison); fi
  useradd --system "${group_option[@]}" --home-dir /var/lib/garrison --no-create-home \
    --shell /usr/sbin/nologin --comment "Garrison RMM server" garrison
  note "created the system user garrison"
fi
if $system; then owner=garrison; group=garrison; else owner=$(id -un); group=$(id -gn); fi

# Config: kept when present. garrison.toml and plugins.d are readable by the service's group
# only (garrison.toml may hold a database URL with a password, a plugins.d file an inline key),
# and writable by root alone: the plugin loader refuses files others could change.
etc=$prefix/etc/garrison
install -d -m 0755 "$etc"
[ -d "$etc/plugins.d" ] || install -d -m 0750 -g "$group" "$etc/plugins.d"
if [ -e "$etc/garrison.toml" ]; then
  note "kept the existing /etc/garrison/garrison.toml"
else
  # The example, with the data and plugins folders of this layout.
  awk '
    /^\[/ { section = $0 }
    section == "[data]"    && /^dir *=/ { sub(/"[^"]*"/, "\"/var/lib/garrison\"") }
    section == "[plugins]" && /^dir *=/ { sub(/"[^"]*"/, "\"/etc/garrison/plugins.d\"") }
    NR == 1 { print "# Installed by scripts/install.sh (or the garrison package): kept on reinstall and upgrade." }
    { print }
  ' "$repo/garrison.example.toml" >"$etc/garrison.toml.new"
  grep -q '^dir = "/var/lib/garrison"' "$etc/garrison.toml.new" && grep -q '^dir = "/etc/garrison/plugins.d"' "$etc/garrison.toml.new" \
    || fail "garrison.example.toml no longer has [data] dir and [plugins] dir keys; update this script"
  chmod 0640 "$etc/garrison.toml.new"; chgrp "$group" "$etc/garrison.toml.new"
  mv "$etc/garrison.toml.new" "$etc/garrison.toml"
  note "wrote /etc/garrison/garrison.toml"
fi
for file in "$repo"/plugins.d/*.toml; do
  name=$(basename "$file")
  if [ -e "$etc/plugins.d/$name" ]; then
    note "kept the existing /etc/garrison/plugins.d/$name"
  else
    install -m 0640 -g "$group" "$file" "$etc/plugins.d/$name"
    note "added /etc/garrison/plugins.d/$name"
  fi
done

# Data: kept as it is when present. Only its owner (the service user, which also runs the
# private PostgreSQL) may enter.
data=$prefix/var/lib/garrison
if [ -d "$data" ]; then
  if $system && [ "$(stat -c %U "$data")" != garrison ]; then
    echo "install.sh: warning: /var/lib/garrison is owned by $(stat -c %U "$data"), not garrison; the service cannot use it until: chown -R garrison:garrison /var/lib/garrison" >&2
  fi
else
  install -d -m 0750 -o "$owner" -g "$group" "$data"
fi

if $system; then
  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
  note "installed $(/usr/bin/garrison --version 2>/dev/null || echo garrison); start it with: systemctl enable --now garrison"
  note "first start: the admin password is in /var/lib/garrison/initial-admin-password"
else
  note "installed under $root (owned by $owner:$group, not by a garrison user: that is made only by an install into /)"
fi
