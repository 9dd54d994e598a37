#!/usr/bin/env bash
# What `make bench` needs beyond the PHP and Python test dependencies:
# php-curl for the hand-written curl + PDO baseline of B2.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
apt_install_missing php8.2-curl
