#!/usr/bin/env bash
# PgBouncer (Debian 12's 1.18) in front of scripts/db.sh's PostgreSQL, twice:
# transaction pooling on 127.0.0.1:$DARGAH_PGBOUNCER_TX_PORT (56432) and session
# pooling on $DARGAH_PGBOUNCER_SESSION_PORT (56433). Transaction pooling has a
# pool of 4 server connections, so the store's clients (tens of them) really
# share them, transaction by transaction. Session pooling ties a server
# connection to a client connection for as long as it lasts, and every store
# keeps a few open: its pool (40) must hold them all, else clients wait for
# one that never comes back; server connections pass from a client that
# closed to the next, reset by DISCARD ALL. Data, configuration and logs under
# build/hosts/pgbouncer.
#   scripts/hosts/pgbouncer.sh start|stop|status|urls
# PgBouncer refuses to run as root: as root, it runs as the postgres user.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR="$ROOT/build/hosts/pgbouncer"
PG_PORT=${DARGAH_PG_PORT:-55432}
TX_PORT=${DARGAH_PGBOUNCER_TX_PORT:-56432}
SESSION_PORT=${DARGAH_PGBOUNCER_SESSION_PORT:-56433}
TX_POOL_SIZE=${DARGAH_PGBOUNCER_TX_POOL_SIZE:-4}
SESSION_POOL_SIZE=${DARGAH_PGBOUNCER_SESSION_POOL_SIZE:-40}

source "$ROOT/scripts/lib.sh"

# One configuration per pool mode, named after it.
write_config() {
    local mode=$1 port=$2 pool_size=$3
    cat >"$DIR/$mode.ini" <<EOF
[databases]
dargah = host=127.0.0.1 port=$PG_PORT dbname=dargah

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
pidfile = $DIR/$mode.pid
logfile = $DIR/$mode.log
auth_type = scram-sha-256
auth_file = $DIR/userlist.txt
pool_mode = $mode
default_pool_size = $pool_size
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 400
; What a shop running PgBouncer in front of a restarting server sees soonest:
; a failed server login is tried again after 1 s (the default, 15 s, answers
; every client "server login has been failing" meanwhile).
server_login_retry = 1
; A client waiting this long for a server connection gets an error (not 120 s).
query_wait_timeout = 30
EOF
}

start() {
    mkdir -p "$DIR"
    printf '"dargah" "dargah"\n' >"$DIR/userlist.txt"
    write_config transaction "$TX_PORT" "$TX_POOL_SIZE"
    write_config session "$SESSION_PORT" "$SESSION_POOL_SIZE"
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$DIR"; fi
    chmod 600 "$DIR/userlist.txt"
    for mode in transaction session; do
        if ! running "$mode"; then
            as_pg /usr/sbin/pgbouncer -d "$DIR/$mode.ini"
        fi
    done
    for port in "$TX_PORT" "$SESSION_PORT"; do
        for _ in $(seq 1 50); do
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
            sleep 0.1
        done
    done
}

running() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

stop() {
    for mode in transaction session; do
        if running "$mode"; then
            local pid; pid=$(cat "$DIR/$mode.pid")
            kill -INT "$pid"
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        fi
        rm -f "$DIR/$mode.pid"
    done
}

status() {
    for mode in transaction session; do
        if running "$mode"; then echo "$mode pooling: running"; else echo "$mode pooling: stopped"; fi
    done
}

urls() {
    echo "DARGAH_TEST_PGBOUNCER_TX_URL=postgres://dargah:dargah@127.0.0.1:$TX_PORT/dargah?prepare=false"
    echo "DARGAH_TEST_PGBOUNCER_SESSION_URL=postgres://dargah:dargah@127.0.0.1:$SESSION_PORT/dargah"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    urls) urls ;;
    *) echo "usage: scripts/hosts/pgbouncer.sh start|stop|status|urls" >&2; exit 2 ;;
esac
