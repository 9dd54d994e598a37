#!/usr/bin/env bash
# The packages as a user gets them: a clean Debian 12 (bookworm) root made from
# Debian's packages with debootstrap, into which only the built .deb files,
# the wheel and the tests' own files are copied (no bind mount of the
# repository: nothing else of the build tree is visible inside). There, as
# root in a chroot, tests/packages/inside.sh installs them with
# `apt install ./…deb` (apt fetching php8.2-cli and the rest from Debian's
# mirror) and uses each one. Before that, lintian checks the .deb files.
#
#   tests/packages/run.sh PACKAGE_DIR        (make packages-test builds them first)
#   tests/packages/run.sh PACKAGE_DIR SCRIPT DIR
#                         the same root running SCRIPT instead of inside.sh, with
#                         DIR copied to /tmp/dargah/docs (make docs-test: tests/docs/)
#
# The bare root is cached in build/packages/chroot/base (debootstrap runs once,
# a few minutes); each run works on a copy-on-write overlay of it, or a copy
# where overlayfs is not available, thrown away at the end. Mounts (/proc,
# /sys, /dev, the overlay) are undone on every exit, failure included.
set -euo pipefail

pkg_dir=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
inside=${2:-$here/inside.sh} extra=${3:-}
repo=$(cd "$here/../.." && pwd)
cache=$repo/build/packages/chroot
base=$cache/base
run=$cache/run
suite=bookworm
# What the tests themselves use inside the root (not what the packages depend
# on: apt fetches that when it installs them): a C compiler and pkg-config for
# the example, venv for the wheel, curl and jq to play the customer, systemd
# for systemd-analyze.
include=gcc,libc6-dev,pkg-config,python3-venv,curl,jq,ca-certificates,systemd

[ "$(id -u)" = 0 ] || { echo "the clean-root test needs root (debootstrap, chroot, mount)" >&2; exit 1; }
shopt -s nullglob
debs=("$pkg_dir"/*.deb) wheels=("$pkg_dir"/dargah-*.whl) zips=("$pkg_dir"/*.zip)
[ ${#debs[@]} -ge 4 ] && [ ${#wheels[@]} = 1 ] || { echo "no packages in $pkg_dir: run make packages" >&2; exit 1; }

# ---- lintian: Debian's policy checks of the .deb files, on the host ----
# Fails on an error, and on a warning whose tag docs/packages.md does not
# name (the warnings kept are explained there, under "lintian").
command -v lintian >/dev/null || { echo "lintian is missing: make deps-packages" >&2; exit 1; }
echo "lintian: $(cd "$pkg_dir" && ls *.deb | tr '\n' ' ')"
lintian_status=0
lintian_report=$(lintian --fail-on error --display-level '>=warning' "${debs[@]}" 2>&1) || lintian_status=$?
lintian_report=$(grep -v '^running with root privileges' <<<"$lintian_report" || true)
[ -z "$lintian_report" ] || echo "$lintian_report"
[ "$lintian_status" = 0 ] || { echo "lintian found an error (exit $lintian_status)" >&2; exit 1; }
unexplained=$(sed -n 's/^W: [^:]*: \([a-z0-9-]*\).*/\1/p' <<<"$lintian_report" | sort -u \
    | while read -r tag; do grep -q "\`$tag\`" "$repo/docs/packages.md" || echo "$tag"; done)
[ -z "$unexplained" ] || { echo "lintian warnings docs/packages.md does not explain: $unexplained" >&2; exit 1; }
echo "lintian: no errors; every warning is explained in docs/packages.md"

# Debian's mirror, as this machine's apt uses it (deb822 sources or sources.list).
mirror_of() { # suffix: "debian" or "debian-security"
    { cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } | grep -v "^[[:space:]]*#" \
        | grep -oE "(https?://[^ ]+/$1)/?( |$)" | head -n1 | tr -d ' ' | sed 's|/$||' || true
}
mirror=$(mirror_of debian) security=$(mirror_of debian-security)
mirror=${mirror:-http://deb.debian.org/debian}

# ---- the cached bare root ----
stamp="$suite $mirror $include"
if [ ! -f "$base/.dargah-base" ] || [ "$(cat "$base/.dargah-base")" != "$stamp" ]; then
    echo "debootstrap: a bare $suite root from $mirror into $base (once)"
    rm -rf "$base" "$base.tmp"
    mkdir -p "$cache"
    debootstrap --variant=minbase --include="$include" "$suite" "$base.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 \
        || { tail -n 30 "$cache/debootstrap.log"; exit 1; }
    {
        echo "deb $mirror $suite main"
        echo "deb $mirror $suite-updates main"
        [ -z "$security" ] || echo "deb $security $suite-security main"
    } >"$base.tmp/etc/apt/sources.list"
    # Package scripts must not start services in the root.
    printf '#!/bin/sh\nexit 101\n' >"$base.tmp/usr/sbin/policy-rc.d"
    chmod 755 "$base.tmp/usr/sbin/policy-rc.d"
    rm -rf "$base.tmp/var/cache/apt/archives/"*.deb
    echo "$stamp" >"$base.tmp/.dargah-base"
    mv "$base.tmp" "$base"
fi

# ---- this run's root: an overlay on the bare one, in a mount namespace ----
# Every mount (the overlay, /proc, /sys, /dev) is made inside a private mount
# namespace that ends with the test: the kernel undoes them however the test
# ends, and the host never sees them.
upper=$cache/upper work=$cache/work
cleanup() {
    local status=$?
    if grep -q " $run " /proc/mounts; then umount -l "$run" 2>/dev/null || true; fi
    grep -q " $run" /proc/mounts || rm -rf "$run" "$upper" "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf "$run" "$upper" "$work"
mkdir -p "$run" "$upper" "$work"
if unshare --mount --propagation private mount -t overlay overlay -o "lowerdir=$base,upperdir=$upper,workdir=$work" "$run" 2>/dev/null; then
    overlay=1 files=$upper
    rm -rf "$work" && mkdir -p "$work"
else
    echo "(no overlayfs here: copying the bare root)"
    overlay=0 files=$run
    cp -a --reflink=auto "$base/." "$run/"
fi

# Only the packages, the wheel and the tests' files go in.
mkdir -p "$files/tmp/dargah/packages" "$files/tmp/dargah/test" "$files/etc"
cp "${debs[@]}" "${wheels[@]}" "${zips[@]}" "$files/tmp/dargah/packages/"
cp "$inside" "$files/tmp/dargah/test/inside.sh"
cp "$here/roundtrip.py" "$files/tmp/dargah/test/"
[ -z "$extra" ] || cp -r "$extra" "$files/tmp/dargah/docs"
cp -r "$repo/examples/php-shop" "$files/tmp/dargah/test/php-shop"
rm -rf "$files/tmp/dargah/test/php-shop/var"
cp /etc/resolv.conf "$files/etc/resolv.conf"
chmod 1777 "$files/tmp"

echo "clean root ($suite): $(cd "$pkg_dir" && ls *.deb dargah-*.whl *.zip 2>/dev/null | tr '\n' ' ')"
workspace_version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$repo/Cargo.toml")
unshare --mount --propagation private /bin/bash -euc '
    run=$1 base=$2 upper=$3 work=$4 overlay=$5 version=$6
    if [ "$overlay" = 1 ]; then mount -t overlay overlay -o "lowerdir=$base,upperdir=$upper,workdir=$work" "$run"; fi
    mount -t proc proc "$run/proc"
    mount -t sysfs sysfs "$run/sys"
    mount --bind /dev "$run/dev"
    exec chroot "$run" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive WORKSPACE_VERSION="$version" \
        /bin/bash /tmp/dargah/test/inside.sh
' inside "$run" "$base" "$upper" "$work" "$overlay" "$workspace_version"
