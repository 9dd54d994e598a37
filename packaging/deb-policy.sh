#!/usr/bin/env bash
# What Debian's policy asks of the library packages and cargo-deb (3.8) cannot
# write, added to the two .deb files it built (unpacked, changed, packed again):
#   libdargah0     a DEBIAN/shlibs file, so dpkg-shlibdeps gives a program
#                  linked against libdargah.so.0 "libdargah0 (>= VERSION)"
#                  (policy 8.6; lintian's error no-shlibs without it)
#   libdargah-dev  Depends on the exact libdargah0 it was built with
#                  (policy 8.5: the .so link and the header match one build)
#
#   packaging/deb-policy.sh LIBDARGAH0.deb LIBDARGAH-DEV.deb SONAME_MAJOR
set -euo pipefail

lib=$1 dev=$2 major=$3
version=$(dpkg-deb -f "$lib" Version) name=$(dpkg-deb -f "$lib" Package)
[ "$name" = "libdargah$major" ] || { echo "$lib: package $name, but the SONAME libdargah.so.$major asks for libdargah$major" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

repack() { # deb edit-function
    rm -rf "$tmp/root"
    dpkg-deb --raw-extract "$1" "$tmp/root"
    "$2" "$tmp/root/DEBIAN"
    dpkg-deb --root-owner-group -Zxz --build "$tmp/root" "$1" >/dev/null
}

# The minimal version is the upstream one: a program built now needs what
# this release's header declares, which every later 0.x release keeps.
add_shlibs() {
    echo "libdargah $major $name (>= ${version%-*})" >"$1/shlibs"
    chmod 644 "$1/shlibs"
}
pin_dev_depends() {
    grep -q "^Depends: \(.*, \)\?$name\(,\|$\)" "$1/control" \
        || { echo "$dev: Depends does not name $name: $(grep '^Depends:' "$1/control")" >&2; exit 1; }
    sed -i "/^Depends:/s/\(: \|, \)$name\(,\|$\)/\1$name (= $version)\2/" "$1/control"
}
repack "$lib" add_shlibs
repack "$dev" pin_dev_depends
echo "$name: shlibs \"$(dpkg-deb --ctrl-tarfile "$lib" | tar -xOf - ./shlibs)\"; $(dpkg-deb -f "$dev" Package): Depends \"$(dpkg-deb -f "$dev" Depends)\""
