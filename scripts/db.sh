#!/usr/bin/env bash
# Test databases on loopback, with their data under build/db (no system-wide
# state): PostgreSQL and MariaDB, installed from Debian by install-deps-db.sh.
#
#   scripts/db.sh start|stop|restart [postgres|mysql|all]
#   scripts/db.sh urls            # prints the export lines for the tests
#
# Both servers also speak TLS, with a certificate for 127.0.0.1 and localhost
# signed by a CA made here (build/db/tls/ca.pem), and a second CA that signed
# nothing (wrong-ca.pem) for the refusal tests. The user dargah_tls may log in
# over TLS only, so a test connecting as it knows TLS was used.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DB="$ROOT/build/db"
PG_PORT=${DARGAH_PG_PORT:-55432}
MY_PORT=${DARGAH_MYSQL_PORT:-53306}
PG_URL="postgres://dargah:dargah@127.0.0.1:$PG_PORT/dargah"
MY_URL="mysql://dargah:dargah@127.0.0.1:$MY_PORT/dargah"
PG_TLS_URL="postgres://dargah_tls:dargah@127.0.0.1:$PG_PORT/dargah?sslmode=verify-full&sslrootcert=$DB/tls/ca.pem"
MY_TLS_URL="mysql://dargah_tls:dargah@127.0.0.1:$MY_PORT/dargah?ssl-mode=VERIFY_IDENTITY&ssl-ca=$DB/tls/ca.pem"

TLS="$DB/tls"

# A CA, the servers' certificate signed by it, and a CA that signed nothing.
tls_files() {
    [ -f "$TLS/server.pem" ] && [ -f "$TLS/wrong-ca.pem" ] && return 0
    mkdir -p "$TLS"
    local ca_ext="basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign"
    for ca in ca wrong-ca; do
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Dargah test $ca" \
            -keyout "$TLS/$ca.key" -out "$TLS/$ca.pem" -addext "$(head -1 <<<"$ca_ext")" -addext "$(tail -1 <<<"$ca_ext")" 2>/dev/null
    done
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$TLS/server.key" -out "$TLS/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$TLS/server.ext"
    openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" -CAcreateserial -days 3650 \
        -extfile "$TLS/server.ext" -out "$TLS/server.pem" 2>/dev/null
    chmod 600 "$TLS"/*.key
}


pg_start() {
    local bin; bin=$(pg_bin)
    mkdir -p "$DB/pg" "$DB/pg-run"
    if [ "$(id -u)" = 0 ]; then chown postgres "$DB/pg" "$DB/pg-run"; chmod 700 "$DB/pg"; fi
    if [ ! -f "$DB/pg/PG_VERSION" ]; then
        as_pg "$bin/initdb" -D "$DB/pg" -U postgres --auth=trust --no-sync >/dev/null
    fi
    # dargah_tls: TLS only (the first matching line wins).
    if ! grep -q dargah_tls "$DB/pg/pg_hba.conf"; then
        sed -i '1i hostnossl all dargah_tls all reject' "$DB/pg/pg_hba.conf"
    fi
    # The server's key, readable by the server's user only (PostgreSQL insists).
    cp "$TLS/server.pem" "$TLS/server.key" "$DB/pg-run/"
    if [ "$(id -u)" = 0 ]; then chown postgres "$DB/pg-run/server.pem" "$DB/pg-run/server.key"; fi
    if ! as_pg "$bin/pg_ctl" -D "$DB/pg" status >/dev/null 2>&1; then
        as_pg "$bin/pg_ctl" -D "$DB/pg" -l "$DB/pg-run/pg.log" -w -t 60 start \
            -o "-p $PG_PORT -k $DB/pg-run -c listen_addresses=127.0.0.1 -c max_connections=300 -c ssl=on -c ssl_cert_file=$DB/pg-run/server.pem -c ssl_key_file=$DB/pg-run/server.key" >/dev/null
    fi
    local psql=("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
    if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'dargah'")" != 1 ]; then
        "${psql[@]}" -c "CREATE ROLE dargah LOGIN PASSWORD 'dargah'" >/dev/null
        "${psql[@]}" -c "CREATE DATABASE dargah OWNER dargah" >/dev/null
    fi
    if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'dargah_tls'")" != 1 ]; then
        "${psql[@]}" -c "CREATE ROLE dargah_tls LOGIN PASSWORD 'dargah'" >/dev/null
        "${psql[@]}" -d dargah -c "GRANT ALL ON DATABASE dargah TO dargah_tls; GRANT ALL ON SCHEMA public TO dargah_tls" >/dev/null
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
            --max-connections=400 --innodb-flush-log-at-trx-commit=1 \
            --ssl-ca="$TLS/ca.pem" --ssl-cert="$TLS/server.pem" --ssl-key="$TLS/server.key" >/dev/null 2>&1 &
        for _ in $(seq 1 120); do
            mariadb-admin --no-defaults --socket="$DB/mysql-run/mysql.sock" ping >/dev/null 2>&1 && break
            sleep 0.5
        done
    fi
    mariadb --no-defaults --socket="$DB/mysql-run/mysql.sock" -uroot -e "
        CREATE DATABASE IF NOT EXISTS dargah CHARACTER SET utf8mb4;
        CREATE USER IF NOT EXISTS 'dargah'@'127.0.0.1' IDENTIFIED BY 'dargah';
        GRANT ALL ON dargah.* TO 'dargah'@'127.0.0.1';
        CREATE USER IF NOT EXISTS 'dargah_tls'@'127.0.0.1' IDENTIFIED BY 'dargah' REQUIRE SSL;
        GRANT ALL ON dargah.* TO 'dargah_tls'@'127.0.0.1';"
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
    start) tls_files; run start ;;
    stop) run stop ;;
    restart) tls_files; run stop; run start ;;
    urls)
        echo "export DARGAH_TEST_POSTGRES_URL=$PG_URL DARGAH_TEST_MYSQL_URL=$MY_URL"
        echo "export DARGAH_TEST_POSTGRES_TLS_URL='$PG_TLS_URL' DARGAH_TEST_MYSQL_TLS_URL='$MY_TLS_URL' DARGAH_TEST_WRONG_CA=$TLS/wrong-ca.pem"
        ;;
    *) echo "usage: $0 start|stop|restart [postgres|mysql|all] | urls" >&2; exit 2 ;;
esac
