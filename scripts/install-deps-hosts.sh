#!/usr/bin/env bash
# What `make hosts-test` needs on a fresh Debian 12 machine, and nothing that
# is already there. Safe to run again. Needs root or sudo for apt-get.
#   pgbouncer           the PostgreSQL store behind a pooler (Debian 12: 1.18)
#   galera-4, rsync     a 3-node MariaDB Galera cluster (rsync: its state transfer)
#   iproute2            network namespaces, veth pairs and `tc netem` for the hosts' network faults
#   nftables            packet loss and partitions on those links (scripts/hosts/netns.sh)
#   postgresql, mariadb-server   already installed by install-deps.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

apt_install_missing pgbouncer galera-4 rsync iproute2 nftables postgresql mariadb-server
