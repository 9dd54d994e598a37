#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine, and nothing that
# is already there. Safe to run again. Needs root or sudo for apt-get.
set -euo pipefail

need_apt=()
# chromium: page tests; postgresql, mariadb-server: the store tests (started by scripts/db.sh).
for pkg in chromium chromium-driver pkg-config sqlite3 postgresql mariadb-server; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done

if ((${#need_apt[@]})); then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    echo "installing: ${need_apt[*]}"
    $SUDO apt-get update -qq
    # Package scripts may try to start the system services; ours run from build/db instead.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
