#!/usr/bin/env bash
# A shop changes its settings 50 times under 8 PHP-FPM workers (issue 25): each
# version of the configuration is a client of its own in every worker, and none of
# them may keep its MariaDB connections for the life of the worker.
#
# Dargah's MariaDB user here may hold 80 connections (MAX_USER_CONNECTIONS, standing
# for its share of the server's max_connections: MariaDB's default is 151 for the
# whole shop, WordPress included). 8 workers each keeping one connection per
# configuration for 16 configurations hold 128; the pool keeps at most 8 idle per
# process over all its clients. Fails on any refused request or connection, and
# prints the most connections the user held.
#
#   tests/php/run-connections.sh DARGAH_BIN DARGAH_SO     (make php-connections-test)
set -euo pipefail

dargah=$1 so=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=$repo/build/php/connections
WORKERS=8 VERSIONS=50 LIMIT=80
source "$here/lib.sh"

[ -n "${DARGAH_TEST_MYSQL_URL:-}" ] || { echo "DARGAH_TEST_MYSQL_URL is not set: run make php-connections-test" >&2; exit 1; }
rm -rf "$dir" && mkdir -p "$dir/www"
port=$(php -n -r 'echo parse_url($argv[1], PHP_URL_PORT);' "$DARGAH_TEST_MYSQL_URL")
root_sql() { mariadb --no-defaults --socket="$repo/build/db/mysql-run/mysql.sock" -uroot -N -e "$1"; }
user=dargah_cap
root_sql "DROP USER IF EXISTS '$user'@'127.0.0.1';
    CREATE USER '$user'@'127.0.0.1' IDENTIFIED BY 'dargah' WITH MAX_USER_CONNECTIONS $LIMIT;
    GRANT ALL ON dargah.* TO '$user'@'127.0.0.1';"
held() { root_sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '$user'"; }

start_sandbox "$dargah" "$dir" >/dev/null
php -n -r '$c = json_decode(file_get_contents($argv[1]), true);
    $cfg = ["store" => $argv[2], "table_prefix" => $argv[3], "vandar" => $c["vandar"]];
    file_put_contents($argv[4], "<?php\nreturn " . var_export($cfg, true) . ";\n");' \
    "$SANDBOX_CONFIG" "mysql://$user:dargah@127.0.0.1:$port/dargah" "conn_$$_" "$dir/www/config.php"
cp "$here/soak/settings.php" "$dir/www/"
php -n -d "extension=$so" -r '(new Dargah\Client(require $argv[1]))->payments(null, 1);' "$dir/www/config.php" # migrate once

FPM_PHP_INI="" start_fpm "$dir" "$WORKERS" -- -d "extension=$so"
http_port=$(free_port)
start_nginx "$dir" "$http_port" "http://127.0.0.1:$http_port" "nginx for the settings test" "
    root $dir/www; index settings.php;
    location ~ \\.php\$ { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name; fastcgi_pass unix:$dir/php-fpm.sock; }"

peak=0
for v in $(seq "$VERSIONS"); do
    # Every worker sees the new version (8 clients at once, twice over).
    for _ in $(seq $((WORKERS * 2))); do echo "http://127.0.0.1:$http_port/settings.php?v=$v"; done \
        | xargs -P "$WORKERS" -n 1 curl -s -w ' %{http_code}\n' >>"$dir/answers"
    now=$(held)
    [ "$now" -gt "$peak" ] && peak=$now
done
requests=$((VERSIONS * WORKERS * 2))
ok=$(grep -c '^ok ' "$dir/answers" || true)
http_ok=$(grep -c '^ 200$' "$dir/answers" || true)
line="$VERSIONS settings changes under $WORKERS workers: $ok of $requests requests answered; the most connections held: $peak (the user may hold $LIMIT); after: $(held)"
if [ "$ok" = "$requests" ] && [ "$http_ok" = "$requests" ] && [ "$peak" -le $((WORKERS * 9)) ]; then pass "$line"; else fail "$line"; grep -vE '^ok |^ 200$' "$dir/answers" | sort | uniq -c | head -5 || true; fi
if grep -qE 'exited on signal|zend_mm_heap' "$dir/php-fpm.log"; then fail "a worker crashed"; fi
root_sql "DROP USER IF EXISTS '$user'@'127.0.0.1';"
summary php-connections-test
