#!/usr/bin/env bash
# What `make packages` and its clean-root test (tests/packages/run.sh) need, and
# nothing that is already there. Safe to run again. Needs root for apt-get (and
# the test needs root for debootstrap and chroot).
#   cargo-deb           builds the Debian packages from the crates' [package.metadata.deb];
#                       pinned, installed with cargo like cbindgen
#   dpkg-dev            dpkg-shlibdeps (cargo-deb's $auto dependencies), dpkg-architecture
#   debootstrap         the clean Debian 12 root the packages are installed into
#   lintian             Debian's policy checks of the built .deb files (the test fails on an error)
#   chrpath             drops the build tree's run path from the PHP extension
#   php8.2-dev          phpize, php-config: the extension built against Debian 12's PHP 8.2
#   composer            `composer validate` of php-ext/composer.json (PIE's package file)
#   python3-venv        the venv below
#   maturin, ziglang, auditwheel (PyPI, in build/packages/tools): the manylinux wheel,
#                       linked with zig against an old glibc, and checked
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

CARGO_DEB_VERSION=3.8.0
PYTHON=${PYTHON:-python3}
TOOLS=build/packages/tools

packages=(dpkg-dev debootstrap lintian chrpath php8.2-dev php8.2-cli build-essential pkg-config composer)
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv)
apt_install_missing "${packages[@]}"

command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
if [ "$(cargo deb --version 2>/dev/null)" != "cargo-deb $CARGO_DEB_VERSION" ]; then
    echo "installing: cargo-deb $CARGO_DEB_VERSION"
    cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked --quiet
fi

stamp=$TOOLS/deps.sha256
wanted=$("$PYTHON" --version 2>&1; sha256sum packaging/requirements-tools.txt)
if [ -x "$TOOLS/bin/maturin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    exit 0
fi
echo "installing maturin, ziglang and auditwheel into $TOOLS"
mkdir -p "$(dirname "$TOOLS")"
"$PYTHON" -m venv --clear "$TOOLS"
"$TOOLS/bin/pip" install -q -r packaging/requirements-tools.txt
echo "$wanted" >"$stamp"
