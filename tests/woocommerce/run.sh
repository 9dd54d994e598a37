#!/usr/bin/env bash
# The WooCommerce plugin's tests, on WordPress from Debian's `wordpress`
# package (a hard-linked copy under build/, with its own wp-config.php) on the
# MariaDB of scripts/db.sh (database dargah_wc, made afresh), the WooCommerce
# stand-in (standin/woocommerce-standin.php) as a must-use plugin, the built
# zip installed and activated, the real extension and the sandbox:
#   1. the plugin's classes: unit/*.phpt with PHP's run-tests.php
#   2. end to end: e2e/test_e2e.php in headless Chromium, the shop under
#      nginx + php-fpm on localhost and the sandbox on 127.0.0.1, so the POST
#      callbacks are cross-site; then e2e/test_review.php, the owner's review
#      page in English and Persian (screenshots); then e2e/test_e2e_boundaries.php
#      (forged callbacks, parameter shapes, no extension, the Persian order screen)
# Every server listens on loopback and is stopped at the end.
#
#   tests/woocommerce/run.sh DARGAH_BIN DARGAH_SO PLUGIN_ZIP RUN_TESTS_PHP   (make woocommerce-test)
set -euo pipefail

dargah=$1 so=$2 zip=$3 run_tests=$4
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# Another folder and database for a second run beside make's: WC_TEST_DIR, WC_TEST_DB.
dir=${WC_TEST_DIR:-$repo/build/woocommerce/e2e}
db=${WC_TEST_DB:-dargah_wc}
wp=$dir/wp
source "$repo/tests/php/lib.sh"

rm -rf "$dir" && mkdir -p "$dir/tmp" "$dir/artifacts" "$dir/chromium"
start_sandbox "$dargah" "$dir"

# ---- the database ----
mariadb --no-defaults --socket="$repo/build/db/mysql-run/mysql.sock" -uroot -e "
    DROP DATABASE IF EXISTS $db;
    CREATE DATABASE $db CHARACTER SET utf8mb4;
    GRANT ALL ON $db.* TO 'dargah'@'127.0.0.1';"

# ---- WordPress: Debian's files, hard-linked (never written to), our wp-config.php ----
cp -al /usr/share/wordpress "$wp" 2>/dev/null || { rm -rf "$wp"; cp -a /usr/share/wordpress "$wp"; }
rm -f "$wp/wp-config.php" # a link to Debian's: replaced, not edited
port=$(free_port)
export SITE_URL=http://localhost:$port WP_DIR=$wp
cat >"$wp/wp-config.php" <<CONF
<?php
define( 'DB_NAME', '$db' );
define( 'DB_USER', 'dargah' );
define( 'DB_PASSWORD', 'dargah' );
define( 'DB_HOST', '127.0.0.1:${DARGAH_MYSQL_PORT:-53306}' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
define( 'WP_HOME', '$SITE_URL' );
define( 'WP_SITEURL', '$SITE_URL' );
define( 'DISABLE_WP_CRON', true );     // the tests run the Action Scheduler queue themselves
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true ); // No update checks from the admin pages: loopback only.
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', '$dir/wp-debug.log' );
define( 'WP_DEBUG_DISPLAY', false );
// wp-config.php's own salts, as every install has: Dargah's token key derives from them, never from the database.
define( 'SECURE_AUTH_KEY', '$(head -c 48 /dev/urandom | base64 | tr -d '\n')' );
define( 'SECURE_AUTH_SALT', '$(head -c 48 /dev/urandom | base64 | tr -d '\n')' );
\$table_prefix = 'wpt_';
defined( 'ABSPATH' ) || define( 'ABSPATH', __DIR__ . '/' );
require_once ABSPATH . 'wp-settings.php';
CONF
mkdir -p "$wp/wp-content/mu-plugins"
cp "$here/standin/woocommerce-standin.php" "$here/e2e/test-settings.php" "$wp/wp-content/mu-plugins/"
(cd "$wp/wp-content/plugins" && unzip -q "$zip")

# PHP without php.ini: what WordPress needs, and the extension under test.
php_base=(-d extension=mysqlnd -d extension=mysqli -d extension=ctype -d extension=iconv -d extension=tokenizer
    -d extension=xml -d extension=dom -d extension=simplexml -d extension=fileinfo -d extension=intl -d memory_limit=256M)
php_exts=("${php_base[@]}" -d "extension=$so")
export SANDBOX_URL
php -n "${php_exts[@]}" "$here/e2e/install.php"

# ---- 1. the plugin's classes (run-tests.php writes next to the tests: run a copy) ----
export DARGAH_SO=$so WC_PHP_BASE="${php_base[*]}" DARGAH_REPO=$repo
cp -r "$here/unit" "$dir/unit"
set +e
NO_INTERACTION=1 TEST_PHP_EXECUTABLE=$(command -v php) php -n "$run_tests" -n -q -P --no-color --no-progress --show-diff \
    "${php_exts[@]}" "$dir/unit" >"$dir/phpt.log" 2>&1
set -e
sed -n '/^========DIFF========/,/^========DONE========/p' "$dir/phpt.log"
grep -E '^(PASS|FAIL|SKIP|BORK|LEAK|WARN) ' "$dir/phpt.log" | sed 's/ \[[^]]*\] *$//'
unit_failed=$(grep -cE '^(FAIL|BORK|LEAK|WARN|SKIP) ' "$dir/phpt.log" || true)
unit_passed=$(grep -c '^PASS ' "$dir/phpt.log" || true)
[ "$unit_passed" -gt 0 ] || { echo "no unit test ran" >&2; cat "$dir/phpt.log"; exit 1; }

# ---- 2. end to end: php-fpm (2 workers) behind nginx on localhost ----
start_fpm "$dir" 2 "SITE_URL=$SITE_URL" -- "${php_exts[@]}"
start_nginx "$dir" "$port" "$SITE_URL" "WordPress" "        include /etc/nginx/mime.types;
        root $wp;
        index index.php;
        location / { try_files \$uri \$uri/ /index.php?\$args; }
        location ~ \.php\$ {
            try_files \$uri =404;
            include /etc/nginx/fastcgi_params;
            # Debian's fastcgi_params pass \$host, without the port: WordPress would redirect to itself.
            fastcgi_param HTTP_HOST \$host:\$server_port;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            fastcgi_pass unix:$dir/php-fpm.sock;
        }"
echo "WordPress at $SITE_URL (nginx, php-fpm)"

wd_port=$(free_port)
setsid chromedriver --port="$wd_port" --log-path="$dir/chromedriver.log" >/dev/null 2>&1 &
started "-$!"
export WEBDRIVER_URL=http://127.0.0.1:$wd_port CHROMIUM_PROFILE=$dir/chromium ARTIFACTS=$dir/artifacts E2E_DIR=$dir
for _ in $(seq 100); do curl -sf "$WEBDRIVER_URL/status" | grep -q '"ready":true' && break; sleep 0.1; done

set +e
php -n "${php_exts[@]}" "$here/e2e/test_e2e.php"
status=$?
# The owner's review page (DARGAH_WC_SCREENSHOTS=docs/images: its screenshots for the docs).
php -n "${php_exts[@]}" "$here/e2e/test_review.php" || status=1
php -n "${php_exts[@]}" "$here/e2e/test_e2e_boundaries.php" || status=1
set -e
if [ "$status" != 0 ]; then
    echo "--- php-fpm log"; tail -30 "$dir/php-fpm.log"
    echo "--- WordPress debug log"; tail -30 "$dir/wp-debug.log" 2>/dev/null || true
fi
echo "woocommerce-test: unit $unit_passed passed, $unit_failed failed"
[ "$unit_failed" = 0 ] && [ "$status" = 0 ]
