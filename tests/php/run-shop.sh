#!/usr/bin/env bash
# examples/php-shop served as in production, nginx in front of php-fpm,
# tested end to end in headless Chromium (chromedriver) through the sandbox's
# payment pages (tests/php/shop/test_shop.php). The shop is served on
# localhost and the sandbox on 127.0.0.1, so the gateways' POST callbacks are
# really cross-site. Every server listens on loopback and is stopped at the end.
#
#   tests/php/run-shop.sh DARGAH_BIN DARGAH_SO          (make php-shop-test)
set -euo pipefail

dargah=$1 so=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=$repo/build/php/shop
source "$here/lib.sh"

rm -rf "$dir" && mkdir -p "$dir/data" "$dir/tmp" "$dir/artifacts" "$dir/chromium"
start_sandbox "$dargah" "$dir"

# The shop's Dargah configuration: the sandbox's, on the shop's own store.
export SHOP_DATA=$dir/data DARGAH_CONFIG=$dir/dargah-config.json
php -n -r '$c = json_decode(file_get_contents($argv[1]), true); $c["store"] = "sqlite://" . $argv[2] . "/dargah.db";
    file_put_contents($argv[3], json_encode($c, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES));' \
    "$SANDBOX_CONFIG" "$SHOP_DATA" "$DARGAH_CONFIG"

# ---- php-fpm, 2 workers ----
port=$(free_port)
export SHOP_URL=http://localhost:$port
php_exts=(-d extension=pdo -d extension=pdo_sqlite -d "extension=$so")
start_fpm "$dir" 2 "DARGAH_CONFIG=$DARGAH_CONFIG" "SHOP_DATA=$SHOP_DATA" "SHOP_URL=$SHOP_URL" -- "${php_exts[@]}"

# ---- nginx on localhost ----
start_nginx "$dir" "$port" "$SHOP_URL" "the shop" "        root $repo/examples/php-shop/public;
        index index.php;
        location ~ \.php\$ {
            try_files \$uri =404;
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            fastcgi_pass unix:$dir/php-fpm.sock;
        }"
echo "shop at $SHOP_URL (nginx, php-fpm)"

# ---- chromedriver, in a process group of its own with the Chromium it starts ----
wd_port=$(free_port)
setsid chromedriver --port="$wd_port" --log-path="$dir/chromedriver.log" >/dev/null 2>&1 &
started "-$!"
export WEBDRIVER_URL=http://127.0.0.1:$wd_port CHROMIUM_PROFILE=$dir/chromium SHOP_ARTIFACTS=$dir/artifacts
for _ in $(seq 100); do curl -sf "$WEBDRIVER_URL/status" | grep -q '"ready":true' && break; sleep 0.1; done

set +e
php -n "${php_exts[@]}" "$here/shop/test_shop.php"
status=$?
set -e
if [ "$status" != 0 ]; then
    echo "--- php-fpm log"; tail -30 "$dir/php-fpm.log"
    echo "--- nginx error log"; tail -30 "$dir/nginx-error.log"
fi
exit "$status"
