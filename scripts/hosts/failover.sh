#!/usr/bin/env bash
# A PostgreSQL primary and a streaming standby on loopback, for the failover
# tests (issue 28 item 3), with their data under build/hosts/failover.
#
#   scripts/hosts/failover.sh start sync|async  # a fresh pair: the standby made by pg_basebackup -R
#   scripts/hosts/failover.sh pause             # stop the standby: nothing more reaches it (async loss)
#   scripts/hosts/failover.sh promote           # kill -9 the primary (and its backends), promote the standby
#   scripts/hosts/failover.sh status|stop|url
#
# sync: the primary waits for the standby's flush before a commit returns
# (synchronous_standby_names = the standby, synchronous_commit = on); async:
# it does not wait. Ports: DARGAH_FAILOVER_PRIMARY_PORT (55532) and
# DARGAH_FAILOVER_STANDBY_PORT (55533).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR="$ROOT/build/hosts/failover"
PRIMARY_PORT=${DARGAH_FAILOVER_PRIMARY_PORT:-55532}
STANDBY_PORT=${DARGAH_FAILOVER_STANDBY_PORT:-55533}
URL="postgres://dargah:dargah@127.0.0.1:$PRIMARY_PORT,127.0.0.1:$STANDBY_PORT/dargah?target_session_attrs=read-write"

source "$ROOT/scripts/lib.sh"
bin=$(pg_bin)
psql_at() { "$bin/psql" -h 127.0.0.1 -p "$1" -U postgres -v ON_ERROR_STOP=1 -qtA "${@:2}"; }

# -k: the sockets in the node's own run directory, not /var/run/postgresql.
pg_start_node() {
    local name=$1 port=$2
    as_pg "$bin/pg_ctl" -D "$DIR/$name" -l "$DIR/run/$name.log" -w -t 60 start \
        -o "-p $port -k $DIR/run -c listen_addresses=127.0.0.1 -c max_connections=300 -c cluster_name=$name" >/dev/null
}

running() { as_pg "$bin/pg_ctl" -D "$DIR/$1" status >/dev/null 2>&1; }

stop_node() {
    [ -f "$DIR/$1/PG_VERSION" ] && running "$1" && as_pg "$bin/pg_ctl" -D "$DIR/$1" -m immediate -w stop >/dev/null 2>&1
    return 0
}

stop() {
    stop_node primary
    stop_node standby
}

start() {
    local mode=$1
    case "$mode" in sync | async) ;; *) echo "usage: $0 start sync|async" >&2; exit 2 ;; esac
    stop
    rm -rf "$DIR"
    mkdir -p "$DIR/primary" "$DIR/run"
    if [ "$(id -u)" = 0 ]; then chown postgres "$DIR" "$DIR/primary" "$DIR/run"; chmod 700 "$DIR/primary"; fi
    # --auth=trust: pg_hba.conf lets loopback in, replication connections too.
    as_pg "$bin/initdb" -D "$DIR/primary" -U postgres --auth=trust --no-sync >/dev/null
    cat >>"$DIR/primary/postgresql.conf" <<CONF
wal_level = replica
max_wal_senders = 4
wal_keep_size = 256MB
synchronous_commit = on
CONF
    pg_start_node primary "$PRIMARY_PORT"
    psql_at "$PRIMARY_PORT" -c "CREATE ROLE replicator LOGIN REPLICATION PASSWORD 'replicator'" \
        -c "CREATE ROLE dargah LOGIN PASSWORD 'dargah'" -c "CREATE DATABASE dargah OWNER dargah" >/dev/null
    # -R: standby.signal and primary_conninfo; the standby's cluster_name is its application_name.
    as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U replicator -D "$DIR/standby" -R -X stream --no-sync --checkpoint=fast
    pg_start_node standby "$STANDBY_PORT"
    # Synchronous only now that the standby exists (the setup's own commits would wait for it).
    [ "$mode" = sync ] && psql_at "$PRIMARY_PORT" -c "ALTER SYSTEM SET synchronous_standby_names = 'standby'" -c "SELECT pg_reload_conf()" >/dev/null
    # Ready when the primary sees the standby streaming (as its synchronous standby in sync mode).
    local want=async
    [ "$mode" = sync ] && want=sync
    for _ in $(seq 1 100); do
        [ "$(psql_at "$PRIMARY_PORT" -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby' AND state = 'streaming'")" = "$want" ] && return 0
        sleep 0.2
    done
    echo "failover: the standby never started streaming (see $DIR/run/standby.log)" >&2
    exit 1
}

# Wait until the standby has replayed everything the primary wrote, then stop
# it: whatever the primary commits from now on never reaches it.
pause() {
    local lsn
    lsn=$(psql_at "$PRIMARY_PORT" -c "SELECT pg_current_wal_lsn()")
    for _ in $(seq 1 100); do
        [ "$(psql_at "$STANDBY_PORT" -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break
        sleep 0.1
    done
    as_pg "$bin/pg_ctl" -D "$DIR/standby" -m fast -w stop >/dev/null
}

# The primary's host dies: the postmaster and every backend killed at once
# (no shutdown checkpoint, connections cut); then the standby takes over.
promote() {
    local pid
    pid=$(head -1 "$DIR/primary/postmaster.pid")
    kill -9 $(ps -o pid= --ppid "$pid") "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    running standby || pg_start_node standby "$STANDBY_PORT"
    as_pg "$bin/pg_ctl" -D "$DIR/standby" -w -t 60 promote >/dev/null
}

status() {
    for node in primary:$PRIMARY_PORT standby:$STANDBY_PORT; do
        local name=${node%%:*} port=${node##*:}
        if running "$name"; then
            echo "$name (127.0.0.1:$port): running, in recovery: $(psql_at "$port" -c "SELECT pg_is_in_recovery()"), synchronous_standby_names: '$(psql_at "$port" -c "SHOW synchronous_standby_names")'"
        else
            echo "$name (127.0.0.1:$port): not running"
        fi
    done
    if running primary; then psql_at "$PRIMARY_PORT" -c "SELECT 'replication: ' || application_name || ' ' || state || ' ' || sync_state FROM pg_stat_replication"; fi
}

case "${1:-}" in
    start) start "${2:-sync}" ;;
    stop) stop ;;
    pause) pause ;;
    promote) promote ;;
    status) status ;;
    url) echo "$URL" ;;
    *) echo "usage: $0 start sync|async | pause | promote | status | stop | url" >&2; exit 2 ;;
esac
