#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine, and nothing that
# is already there. Safe to run again. Needs root or sudo for apt-get.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# chromium: page tests; postgresql, mariadb-server: the store tests (started by scripts/db.sh).
apt_install_missing chromium chromium-driver pkg-config sqlite3 postgresql mariadb-server

command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
