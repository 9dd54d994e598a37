#!/usr/bin/env bash
# Fails unless a package's Depends holds what dpkg-shlibdeps finds the ELF
# file needs. For the files cargo-deb's $auto does not analyse (it reads only
# executables and names ending in .so: not libdargah.so.0, nor a file built by
# PHP's tools), whose libc6 dependency is written out in Cargo.toml.
#
#   packaging/check-depends.sh PACKAGE.deb ELF_FILE [PRIVATE_LIBDIR]
set -euo pipefail

deb=$1 elf=$(realpath "$2") libdir=${3:+$(realpath "$3")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/debian" && touch "$tmp/debian/control"
needs=$(cd "$tmp" && dpkg-shlibdeps -O -xlibgcc-s1 ${libdir:+--ignore-missing-info "-l$libdir"} "$elf" 2>/dev/null \
    | sed -n 's/^shlibs:Depends=//p')
[ -n "$needs" ] || { echo "dpkg-shlibdeps found nothing for $elf" >&2; exit 1; }
depends=$(dpkg-deb -f "$deb" Depends)
IFS=',' read -ra wanted <<<"$needs"
for dep in "${wanted[@]}"; do
    dep=$(echo "$dep" | xargs)
    case ", $depends," in
        *", $dep,"*) ;;
        *) echo "$deb: Depends \"$depends\" lacks \"$dep\", which $(basename "$elf") needs (dpkg-shlibdeps)" >&2; exit 1 ;;
    esac
done
echo "$(dpkg-deb -f "$deb" Package): Depends has what $(basename "$elf") needs ($needs)"
