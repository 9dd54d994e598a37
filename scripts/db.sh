#!/usr/bin/env bash
# Test databases on loopback, with their data under build/db (no system-wide
# state): PostgreSQL and MariaDB, installed from Debian by install-deps-db.sh.
#
#   scripts/db.sh start|stop|restart [postgres|mysql|all]
#   scripts/db.sh urls            # prints the export lines for the tests
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DB="$ROOT/build/db"
PG_PORT=${DARGAH_PG_PORT:-55432}
MY_PORT=${DARGAH_MYSQL_PORT:-53306}
PG_URL="postgres://dargah:dargah@127.0.0.1:$PG_PORT/dargah"
MY_URL="mysql://dargah:dargah@127.0.0.1:$MY_PORT/dargah"

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1; }
# PostgreSQL refuses to run as root: run it as the postgres system user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_start() {
    local bin; bin=$(pg_bin)
    mkdir -p "$DB/pg" "$DB/pg-run"
    if [ "$(id -u)" = 0 ]; then chown postgres "$DB/pg" "$DB/pg-run"; chmod 700 "$DB/pg"; fi
    if [ ! -f "$DB/pg/PG_VERSION" ]; then
        as_pg "$bin/initdb" -D "$DB/pg" -U postgres --auth=trust --no-sync >/dev/null
    fi
    if ! as_pg "$bin/pg_ctl" -D "$DB/pg" status >/dev/null 2>&1; then
        as_pg "$bin/pg_ctl" -D "$DB/pg" -l "$DB/pg-run/pg.log" -w -t 60 start \
            -o "-p $PG_PORT -k $DB/pg-run -c listen_addresses=127.0.0.1 -c max_connections=300" >/dev/null
    fi
    local psql=("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
    if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'dargah'")" != 1 ]; then
        "${psql[@]}" -c "CREATE ROLE dargah LOGIN PASSWORD 'dargah'" >/dev/null
        "${psql[@]}" -c "CREATE DATABASE dargah OWNER dargah" >/dev/null
    fi
}

pg_stop() {
    [ -f "$DB/pg/PG_VERSION" ] || return 0
    as_pg "$(pg_bin)/pg_ctl" -D "$DB/pg" -m fast -w stop >/dev/null 2>&1 || true
}

my_start() {
    mkdir -p "$DB/mysql-run"
    if [ ! -d "$DB/mysql/mysql" ]; then
        mariadb-install-db --no-defaults --datadir="$DB/mysql" --user="$(id -un)" --auth-root-authentication-method=normal >/dev/null
    fi
    if ! mariadb-admin --no-defaults --socket="$DB/mysql-run/mysql.sock" ping >/dev/null 2>&1; then
        mariadbd --no-defaults --datadir="$DB/mysql" --user="$(id -un)" --port="$MY_PORT" --bind-address=127.0.0.1 \
            --socket="$DB/mysql-run/mysql.sock" --pid-file="$DB/mysql-run/mysql.pid" --log-error="$DB/mysql-run/mysql.log" \
            --max-connections=400 --innodb-flush-log-at-trx-commit=1 >/dev/null 2>&1 &
        for _ in $(seq 1 120); do
            mariadb-admin --no-defaults --socket="$DB/mysql-run/mysql.sock" ping >/dev/null 2>&1 && break
            sleep 0.5
        done
    fi
    mariadb --no-defaults --socket="$DB/mysql-run/mysql.sock" -uroot -e "
        CREATE DATABASE IF NOT EXISTS dargah CHARACTER SET utf8mb4;
        CREATE USER IF NOT EXISTS 'dargah'@'127.0.0.1' IDENTIFIED BY 'dargah';
        GRANT ALL ON dargah.* TO 'dargah'@'127.0.0.1';"
}

my_stop() {
    [ -f "$DB/mysql-run/mysql.pid" ] || return 0
    mariadb-admin --no-defaults --socket="$DB/mysql-run/mysql.sock" -uroot shutdown >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do [ -f "$DB/mysql-run/mysql.pid" ] || break; sleep 0.5; done
}

which=${2:-all}
run() {
    case "$which" in
        postgres) "pg_$1" ;;
        mysql) "my_$1" ;;
        all) "pg_$1"; "my_$1" ;;
        *) echo "unknown database $which" >&2; exit 2 ;;
    esac
}

case "${1:-}" in
    start) run start ;;
    stop) run stop ;;
    restart) run stop; run start ;;
    urls) echo "export DARGAH_TEST_POSTGRES_URL=$PG_URL DARGAH_TEST_MYSQL_URL=$MY_URL" ;;
    *) echo "usage: $0 start|stop|restart [postgres|mysql|all] | urls" >&2; exit 2 ;;
esac
