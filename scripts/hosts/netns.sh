#!/usr/bin/env bash
# Web server hosts in network namespaces of their own (issue 28, item 4).
#
#   scripts/hosts/netns.sh up N              namespaces dg-w0..dg-w<N-1>, each joined to this one by a veth pair
#   scripts/hosts/netns.sh down              everything `up` made, gone (safe to run when nothing is there)
#   scripts/hosts/netns.sh loss W PERCENT    drop PERCENT % of the packets on worker W's link, both ways (0: none)
#   scripts/hosts/netns.sh delay W MS JITTER tc netem delay on worker W's link (only where the kernel has sch_netem)
#   scripts/hosts/netns.sh cut db|gateway|both W   partition: worker W can no longer reach the database / the gateway
#   scripts/hosts/netns.sh heal W            the partition of worker W lifted
#   scripts/hosts/netns.sh status            what is there
#
# The addresses (10.231.0.0/16): worker W is 10.231.W.2 on its veth (dg-n<W>), the other end
# 10.231.W.1 (dg-h<W>), its default route. The services the workers reach live in this (the root)
# namespace on two addresses of its loopback, so a partition is a filter by destination address:
#   10.231.255.1  the database (ports 57000-57009)      10.231.255.2  the gateway (ports 57010-57099)
# Loss and partitions are nftables rules inside the worker's namespace (table `dargah`): the loss
# on its veth only, the partition on every packet to or from the cut-off address.
# Dargah speaks plain http only to loopback (a gateway must be https anywhere else), and the
# sandbox speaks http: so inside each worker's namespace 127.0.0.1:57010-57099 is the gateway,
# forwarded (DNAT) to the same port at 10.231.255.2 across the link (table `dargah_nat`).
set -euo pipefail

PREFIX=dg-w
DB_ADDR=${DARGAH_NETNS_DB_ADDR:-10.231.255.1}
GATEWAY_ADDR=${DARGAH_NETNS_GATEWAY_ADDR:-10.231.255.2}
GATEWAY_PORTS=57010-57099

die() { echo "netns.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v nft >/dev/null || die "nft missing: run scripts/install-deps-hosts.sh (Debian package nftables)"

namespaces() { ip netns list | awk -v p="$PREFIX" 'index($1, p) == 1 { print $1 }'; }

worker() {
    [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -lt 250 ] || die "not a worker number: ${1:-}"
    ip netns list | awk '{print $1}' | grep -qx "$PREFIX$1" || die "no namespace $PREFIX$1 (netns.sh up first)"
}

# The worker's own rules: a table with the loss on its veth and a partition chain, both emptied by heal/loss 0.
nft_table() {
    local w=$1
    ip netns exec "$PREFIX$w" nft -f - <<EOF
table inet dargah {
    chain loss_out { type filter hook output priority 0; policy accept; }
    chain loss_in { type filter hook input priority 0; policy accept; }
    chain cut_out { type filter hook output priority 10; policy accept; }
    chain cut_in { type filter hook input priority 10; policy accept; }
}
table ip dargah_nat {
    chain out { type nat hook output priority -100; policy accept; ip daddr 127.0.0.1 tcp dport $GATEWAY_PORTS dnat to $GATEWAY_ADDR; }
    chain post { type nat hook postrouting priority 100; policy accept; oifname "dg-n$w" masquerade; }
}
EOF
    # A packet from 127.0.0.1 may leave by the veth only with this (the DNAT above).
    ip netns exec "$PREFIX$w" sysctl -qw net.ipv4.conf.all.route_localnet=1
}

down() {
    local ns
    for ns in $(namespaces); do
        # Deleting the namespace deletes its end of the veth, and with it the other end.
        ip netns del "$ns" || true
    done
    local link
    for link in $(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); if ($2 ~ /^dg-h[0-9]+$/) print $2 }'); do
        ip link del "$link" 2>/dev/null || true
    done
    ip addr del "$DB_ADDR/32" dev lo 2>/dev/null || true
    ip addr del "$GATEWAY_ADDR/32" dev lo 2>/dev/null || true
}

up() {
    local n=${1:-}
    [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 250 ] || die "up N: N from 1 to 250"
    # Idempotent: whatever an earlier run killed midway left behind goes first.
    down
    ip addr add "$DB_ADDR/32" dev lo
    ip addr add "$GATEWAY_ADDR/32" dev lo
    local w
    for ((w = 0; w < n; w++)); do
        ip netns add "$PREFIX$w"
        ip link add "dg-h$w" type veth peer name "dg-n$w"
        ip link set "dg-n$w" netns "$PREFIX$w"
        ip addr add "10.231.$w.1/30" dev "dg-h$w"
        ip link set "dg-h$w" up
        ip -n "$PREFIX$w" addr add "10.231.$w.2/30" dev "dg-n$w"
        ip -n "$PREFIX$w" link set lo up
        ip -n "$PREFIX$w" link set "dg-n$w" up
        ip -n "$PREFIX$w" route add default via "10.231.$w.1"
        nft_table "$w"
    done
    echo "netns: $n worker namespaces (${PREFIX}0..${PREFIX}$((n - 1))), database at $DB_ADDR, gateway at $GATEWAY_ADDR"
}

loss() {
    local w=$1 percent=${2:-}
    worker "$w"
    [[ "$percent" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "loss W PERCENT: PERCENT a number"
    # numgen counts in tenths of a percent.
    local per_mille
    per_mille=$(awk -v p="$percent" 'BEGIN { printf "%d", p * 10 }')
    ip netns exec "$PREFIX$w" nft flush chain inet dargah loss_out
    ip netns exec "$PREFIX$w" nft flush chain inet dargah loss_in
    if [ "$per_mille" -gt 0 ]; then
        ip netns exec "$PREFIX$w" nft add rule inet dargah loss_out oifname "dg-n$w" numgen random mod 1000 "<" "$per_mille" drop
        ip netns exec "$PREFIX$w" nft add rule inet dargah loss_in iifname "dg-n$w" numgen random mod 1000 "<" "$per_mille" drop
    fi
}

delay() {
    local w=$1 ms=${2:-} jitter=${3:-0}
    worker "$w"
    # The kernel's tc netem; where it is missing (sch_netem not built), say so: the chaos test
    # then delays in a user-space relay of its own (core/tests/hosts_netns.rs).
    ip -n "$PREFIX$w" link set "dg-n$w" up
    if ! ip netns exec "$PREFIX$w" tc qdisc replace dev "dg-n$w" root netem delay "${ms}ms" "${jitter}ms" 2>/dev/null; then
        echo "netns.sh: this kernel has no tc netem (sch_netem)" >&2
        exit 3
    fi
}

cut() {
    local what=$1 w=$2
    worker "$w"
    local addrs
    case "$what" in
        db) addrs="$DB_ADDR" ;;
        gateway) addrs="$GATEWAY_ADDR" ;;
        both) addrs="$DB_ADDR, $GATEWAY_ADDR" ;;
        *) die "cut db|gateway|both W" ;;
    esac
    # Dropped silently both ways, as a broken link does: the worker's TCP waits and retransmits.
    ip netns exec "$PREFIX$w" nft add rule inet dargah cut_out ip daddr "{ $addrs }" drop
    ip netns exec "$PREFIX$w" nft add rule inet dargah cut_in ip saddr "{ $addrs }" drop
}

heal() {
    local w=$1
    worker "$w"
    ip netns exec "$PREFIX$w" nft flush chain inet dargah cut_out
    ip netns exec "$PREFIX$w" nft flush chain inet dargah cut_in
}

status() {
    local ns
    for ns in $(namespaces); do
        echo "== $ns"
        ip -n "$ns" -br addr
        ip netns exec "$ns" nft list table inet dargah
    done
}

case "${1:-}" in
    up) up "${2:-}" ;;
    down) down ;;
    loss) loss "${2:-}" "${3:-}" ;;
    delay) delay "${2:-}" "${3:-}" "${4:-0}" ;;
    cut) cut "${2:-}" "${3:-}" ;;
    heal) heal "${2:-}" ;;
    status) status ;;
    *) die "usage: netns.sh up N | down | loss W PERCENT | delay W MS JITTER | cut db|gateway|both W | heal W | status" ;;
esac
