#!/usr/bin/env bash
# Runs as root inside the clean Debian 12 root of tests/packages/run.sh (for
# make docs-test): the pages' tested blocks, as a reader follows them. The
# packages are where `make packages` leaves them, ./build/packages of every
# page's directory; the reader has sudo and answers apt's question with yes.
# README.md's install block installs them; then a fresh `dargah sandbox` runs on
# 127.0.0.1:8700 for each page (a reader follows one page on its own), as the
# pages say to start it in another terminal.
set -uo pipefail

docs=/tmp/dargah/docs
mkdir -p /tmp/dargah/build /tmp/docs && rm -f /tmp/docs/failures
ln -sfn /tmp/dargah/packages /tmp/dargah/build/packages
apt-get update -qq >/tmp/docs/apt-update.log 2>&1 || { cat /tmp/docs/apt-update.log; exit 1; }
apt-get install -y -q --no-install-recommends sudo >/tmp/docs/apt-sudo.log 2>&1 || { cat /tmp/docs/apt-sudo.log; exit 1; }
echo 'APT::Get::Assume-Yes "true";' >/etc/apt/apt.conf.d/90docs-test
# A machine resolves its own name (sudo warns on stderr otherwise); debootstrap's root does not.
grep -qw "$(hostname)" /etc/hosts 2>/dev/null || echo "127.0.1.1 $(hostname)" >>/etc/hosts

sandbox=
stop_sandbox() { [ -z "$sandbox" ] || { kill "$sandbox" 2>/dev/null; wait "$sandbox" 2>/dev/null; sandbox=; }; }
start_sandbox() { # a fresh one for every page, once dargah is installed: on 8700, as the pages say
    stop_sandbox
    command -v dargah >/dev/null || return 0
    dargah sandbox --port 8700 >/tmp/docs/sandbox.log 2>&1 &
    sandbox=$!
    for _ in $(seq 100); do grep -q '^}' /tmp/docs/sandbox.log && return 0; sleep 0.1; done
    cat /tmp/docs/sandbox.log; echo "FAIL dargah sandbox did not start" | tee -a /tmp/docs/failures
}
trap stop_sandbox EXIT

pages=0
for page in "$docs"/pages/*.sh; do
    start_sandbox
    echo "== ${page##*/}"
    # Each page in a session of its own: what its blocks left running (a
    # `php -S … &`) is stopped with it, by that session's process group.
    HOME=/root setsid bash "$page" &
    group=$!
    wait "$group"
    kill -TERM -- "-$group" 2>/dev/null
    pages=$((pages + 1))
done

# The plugin zip from the packages, installed as woocommerce.md's third way
# says (unzipped into wp-content/plugins) with the PHP the packages brought:
# every file parses, and its header asks for no newer PHP than Debian 12's.
echo "== the WooCommerce plugin zip"
plugins=/var/www/html/wp-content/plugins
zip=$(ls /tmp/dargah/packages/dargah-woocommerce-*.zip 2>/dev/null)
if [ -z "$zip" ] || ! mkdir -p "$plugins" || ! python3 -m zipfile -e "$zip" "$plugins"; then
    echo "FAIL the plugin zip is not among the packages or does not unpack" | tee -a /tmp/docs/failures
else
    bad=$(find "$plugins/dargah-woocommerce" -name '*.php' -exec php -l {} \; 2>&1 | grep -v '^No syntax errors' || true)
    files=$(find "$plugins/dargah-woocommerce" -name '*.php' | wc -l)
    requires=$(sed -n 's/^ \* Requires PHP: *//p' "$plugins/dargah-woocommerce/dargah-woocommerce.php")
    if [ -n "$bad" ]; then
        echo "FAIL php -l: $bad" | tee -a /tmp/docs/failures
    elif ! php -r 'exit(version_compare(PHP_VERSION, $argv[1], ">=") ? 0 : 1);' "$requires"; then
        echo "FAIL the plugin requires PHP $requires, the packages' PHP is $(php -r 'echo PHP_VERSION;')" | tee -a /tmp/docs/failures
    else
        echo "ok   ${zip##*/} unpacked into $plugins: $files PHP files parse with PHP $(php -r 'echo PHP_VERSION;') (the plugin requires $requires)"
    fi
fi

# Then in WordPress itself (Debian's `wordpress`, from the mirror), on the test
# MariaDB of the machine (the root shares its loopback; tables under a prefix
# of their own): the site installed, the plugin activated, the packaged
# extension loaded beside it.
echo "== the plugin zip in WordPress"
wp=/tmp/docs/wordpress
if ! apt-get install -y -q --no-install-recommends wordpress php8.2-mysql >/tmp/docs/apt-wordpress.log 2>&1; then
    echo "FAIL apt install wordpress" | tee -a /tmp/docs/failures; tail -n 20 /tmp/docs/apt-wordpress.log
else
    cp -a /usr/share/wordpress "$wp" && rm -f "$wp/wp-config.php"
    rm -rf "$wp/wp-content" && mkdir -p "$wp/wp-content/plugins"
    python3 -m zipfile -e "$zip" "$wp/wp-content/plugins"
    prefix="docs$(date +%s%N | tail -c 9)_"
    cat >"$wp/wp-config.php" <<CONF
<?php
define( 'DB_NAME', 'dargah' );
define( 'DB_USER', 'dargah' );
define( 'DB_PASSWORD', 'dargah' );
define( 'DB_HOST', '127.0.0.1:$(cat /tmp/dargah/docs/mysql-port)' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
define( 'WP_CONTENT_DIR', '$wp/wp-content' );
define( 'WP_HOME', 'http://localhost' );
define( 'WP_SITEURL', 'http://localhost' );
define( 'DISABLE_WP_CRON', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
\$table_prefix = '$prefix';
defined( 'ABSPATH' ) || define( 'ABSPATH', __DIR__ . '/' );
require_once ABSPATH . 'wp-settings.php';
CONF
    if line=$(php /tmp/dargah/docs/wordpress.php "$wp" 2>&1); then
        echo "ok   $line"
    else
        echo "FAIL the plugin in WordPress: $line" | tee -a /tmp/docs/failures
    fi
fi

failures=$(grep -c . /tmp/docs/failures 2>/dev/null || true)
echo "docs: $pages pages, ${failures:-0} failed blocks"
[ -z "$failures" ] || [ "$failures" = 0 ]
