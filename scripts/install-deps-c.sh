#!/usr/bin/env bash
# What the C binding's build and tests need on a fresh Debian 12 machine, and
# nothing that is already there. Safe to run again. Needs root or sudo for apt-get.
#   cc, make        build-essential
#   valgrind        the leak and memory-error run of tests/c
#   pkg-config      finding an installed libdargah (dargah.pc)
#   libcjson-dev    the C tests read the sandbox's JSON answers with it
#   curl, jq        the example's test plays the customer with them
#   cbindgen        regenerates include/dargah.h; pinned, because another
#                   version writes a (harmlessly) different header and
#                   `make header-check` compares byte for byte
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CBINDGEN_VERSION=0.29.4

apt_install_missing build-essential valgrind pkg-config libcjson-dev curl jq

command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
if [ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]; then
    echo "installing: cbindgen $CBINDGEN_VERSION"
    cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --quiet
fi
