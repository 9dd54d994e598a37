#!/usr/bin/env bash
# A 3-node MariaDB Galera cluster on loopback (issue 28 item 2): Debian's
# mariadb-server with galera-4, each node with its own data under
# build/hosts/galera/nodeN, its own SQL port and its own group communication,
# IST and SST ports. Node 1 bootstraps the cluster; nodes 2 and 3 join it by
# state transfer (rsync).
#
#   scripts/hosts/galera.sh start          a fresh cluster; waits until 3 nodes are Synced
#   scripts/hosts/galera.sh stop           every node
#   scripts/hosts/galera.sh kill N         kill -9 node N (1-3)
#   scripts/hosts/galera.sh rejoin N       start node N again, wait until it is Synced
#   scripts/hosts/galera.sh status         each node's state and the cluster's size
#   scripts/hosts/galera.sh urls           the store URL of each node
#
# Failure detection is faster than the default (a node declared gone after 2-3 s,
# not 5-15 s): loopback never drops a packet, and a rejoin in a test waits less.
# Ports: SQL DARGAH_GALERA_PORT..+2 (53406-53408), group communication
# DARGAH_GALERA_GCOMM_PORT..+2 (54567-54569), IST +3.. (54570-54572), SST +6.. (54573-54575).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR="$ROOT/build/hosts/galera"
SQL_PORT=${DARGAH_GALERA_PORT:-53406}
GCOMM_PORT=${DARGAH_GALERA_GCOMM_PORT:-54567}
NODES=3
# The servers run as this user: as root, the rsync daemon of a state transfer
# would write as "nobody" and be refused.
RUN_AS=$( [ "$(id -u)" = 0 ] && echo mysql || id -un )

own() {
    [ "$(id -u)" = 0 ] && chown "$RUN_AS:" "$@"
    return 0
}

sql_port() { echo $((SQL_PORT + $1 - 1)); }
gcomm_port() { echo $((GCOMM_PORT + $1 - 1)); }
ist_port() { echo $((GCOMM_PORT + 3 + $1 - 1)); }
sst_port() { echo $((GCOMM_PORT + 6 + $1 - 1)); }
sock() { echo "$DIR/run/node$1.sock"; }
pidfile() { echo "$DIR/run/node$1.pid"; }

cluster_address() {
    local addrs=() n
    for n in $(seq 1 $NODES); do addrs+=("127.0.0.1:$(gcomm_port "$n")"); done
    local IFS=,
    echo "gcomm://${addrs[*]}"
}

# The options every start of node $1 gets (the settings docs/stores.md asks a shop for among them).
node_options() {
    local n=$1
    echo --no-defaults --datadir="$DIR/node$n" --user="$RUN_AS" --port="$(sql_port "$n")" --bind-address=127.0.0.1 \
        --socket="$(sock "$n")" --pid-file="$(pidfile "$n")" --log-error="$DIR/run/node$n.log" \
        --max-connections=300 --innodb-buffer-pool-size=64M --innodb-log-file-size=16M \
        --binlog-format=ROW --default-storage-engine=InnoDB --innodb-autoinc-lock-mode=2 \
        --wsrep-on=ON --wsrep-provider=/usr/lib/galera/libgalera_smm.so --wsrep-cluster-name=dargah \
        --wsrep-cluster-address="$(cluster_address)" --wsrep-node-name="node$n" --wsrep-node-address="127.0.0.1:$(gcomm_port "$n")" \
        --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$n");ist.recv_addr=127.0.0.1:$(ist_port "$n");gcache.size=32M;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT3S;evs.install_timeout=PT3S;evs.keepalive_period=PT0.5S" \
        --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:$(sst_port "$n")"
}

client() {
    local n=$1
    shift
    mariadb --no-defaults --socket="$(sock "$n")" -uroot -N -B "$@"
}

# A status variable of node $1, or nothing if it does not answer.
status_of() {
    client "$1" -e "SHOW STATUS LIKE '$2'" 2>/dev/null | awk '{print $2}'
}

# Wait (up to $2 seconds) until node $1 is Synced in a cluster of 3.
wait_synced() {
    local n=$1 limit=$2 i
    for i in $(seq 1 $((limit * 4))); do
        if [ "$(status_of "$n" wsrep_local_state_comment)" = Synced ] && [ "$(status_of "$n" wsrep_cluster_size)" = $NODES ]; then
            return 0
        fi
        if ! alive "$n"; then
            echo "galera: node $n died while starting; its log:" >&2
            tail -n 30 "$DIR/run/node$n.log" >&2
            return 1
        fi
        sleep 0.25
    done
    echo "galera: node $n not Synced after ${limit}s; its log:" >&2
    tail -n 30 "$DIR/run/node$n.log" >&2
    return 1
}

alive() {
    [ -f "$(pidfile "$1")" ] && kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null
}

# Start node $1 in the background (extra options after it) and wait until its pid file appears.
launch() {
    local n=$1
    shift
    # shellcheck disable=SC2046
    mariadbd $(node_options "$n") "$@" >/dev/null 2>&1 &
    local pid=$! i
    for i in $(seq 1 240); do
        [ -f "$(pidfile "$n")" ] && return 0
        kill -0 "$pid" 2>/dev/null || break # aborted (a failed state transfer)
        sleep 0.25
    done
    echo "galera: node $n did not start; its log:" >&2
    tail -n 30 "$DIR/run/node$n.log" >&2
    return 1
}

start() {
    stop
    rm -rf "$DIR"
    mkdir -p "$DIR/run"
    own "$DIR" "$DIR/run"
    mariadb-install-db --no-defaults --datadir="$DIR/node1" --user="$RUN_AS" --auth-root-authentication-method=normal >/dev/null
    launch 1 --wsrep-new-cluster
    for n in $(seq 2 $NODES); do join_fresh "$n"; done
    for n in $(seq 1 $NODES); do wait_synced "$n" 120; done
    client 1 -e "
        CREATE DATABASE IF NOT EXISTS dargah CHARACTER SET utf8mb4;
        CREATE USER IF NOT EXISTS 'dargah'@'127.0.0.1' IDENTIFIED BY 'dargah';
        GRANT ALL ON dargah.* TO 'dargah'@'127.0.0.1';"
    status
}

# Node $1 joins with an empty datadir, filled by a state transfer from a node already
# in. A state transfer's rsync daemon now and then dies as it starts (right after the
# previous cluster's stop): the node aborts, and is started afresh, up to 3 times.
join_fresh() {
    local n=$1 attempt
    for attempt in 1 2 3; do
        rm -rf "${DIR:?}/node$n"
        mkdir -p "$DIR/node$n"
        own "$DIR/node$n"
        if launch "$n" && wait_joined "$n"; then
            return 0
        fi
        echo "galera: node $n failed to join (attempt $attempt), starting it again" >&2
        stop_node "$n"
        sleep 2
    done
    return 1
}

# Wait until node $1 answers (it has joined and taken its state transfer), up to 120 s.
wait_joined() {
    local n=$1 i
    for i in $(seq 1 480); do
        [ "$(status_of "$n" wsrep_local_state_comment)" = Synced ] && return 0
        alive "$n" || break
        sleep 0.25
    done
    wait_synced "$n" 1
}

stop() {
    local n
    for n in $(seq $NODES -1 1); do stop_node "$n"; done
}

stop_node() {
    local n=$1 pid
    [ -f "$(pidfile "$n")" ] || return 0
    pid=$(cat "$(pidfile "$n")")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$(pidfile "$n")"
}

kill_node() {
    local n=$1
    alive "$n" || { echo "galera: node $n is not running" >&2; return 1; }
    kill -9 "$(cat "$(pidfile "$n")")"
    rm -f "$(pidfile "$n")"
}

# Start node $1 again after a kill: recover its last committed position first (what
# mysqld_safe does), so it catches up by IST from a node's gcache instead of a full SST.
rejoin() {
    local n=$1 position
    alive "$n" && { echo "galera: node $n is running" >&2; return 1; }
    # shellcheck disable=SC2046
    mariadbd $(node_options "$n") --wsrep-recover --log-error="$DIR/run/node$n.recover.log" >/dev/null 2>&1 || true
    position=$(sed -n 's/.*WSREP: Recovered position: *//p' "$DIR/run/node$n.recover.log" | tail -n 1)
    if [ -n "$position" ]; then
        launch "$n" --wsrep-start-position="$position"
    else
        launch "$n"
    fi
    wait_synced "$n" 120
}

status() {
    local n
    for n in $(seq 1 $NODES); do
        if alive "$n"; then
            echo "node$n 127.0.0.1:$(sql_port "$n") $(status_of "$n" wsrep_local_state_comment) cluster_size=$(status_of "$n" wsrep_cluster_size)"
        else
            echo "node$n 127.0.0.1:$(sql_port "$n") down"
        fi
    done
}

node_arg() {
    [[ "${1:-}" =~ ^[1-3]$ ]] || { echo "usage: $0 kill|rejoin 1|2|3" >&2; exit 2; }
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    kill) node_arg "${2:-}"; kill_node "$2" ;;
    rejoin) node_arg "${2:-}"; rejoin "$2" ;;
    status) status ;;
    urls) for n in $(seq 1 $NODES); do echo "mysql://dargah:dargah@127.0.0.1:$(sql_port "$n")/dargah"; done ;;
    *) echo "usage: $0 start|stop|kill N|rejoin N|status|urls" >&2; exit 2 ;;
esac
