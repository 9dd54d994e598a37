#!/usr/bin/env bash
# The Laravel package (laravel/) in a Laravel 8.83 application (Debian's
# php-laravel-framework; no Composer downloads): tests/laravel/app is copied to
# build/laravel/app, given a vendor/autoload.php (Debian's autoloaders, the
# package's own, App\) and a vendor/composer/installed.json holding the
# package's composer.json, so Laravel's package discovery finds the service
# provider through extra.laravel as it does after `composer require`. Then:
#   1. PHPUnit 9.6 (tests/laravel/tests) in process, against the real extension
#      and the sandbox (the package's testing kit starts it), the shop's store in
#      SQLite, PostgreSQL and MariaDB;
#   2. end to end in headless Chromium through nginx + php-fpm (test_browser.php).
#
#   tests/laravel/run.sh DARGAH_BIN DARGAH_SO      (make laravel-test; the DB_ENV variables for PostgreSQL and MariaDB)
#   LARAVEL_SKIP_BROWSER=1 tests/laravel/run.sh …  PHPUnit only, while working on the package
set -euo pipefail

dargah=$(realpath "$1") so=$(realpath "$2") # absolute: the tests run commands from the application's directory
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=$repo/build/laravel
source "$repo/tests/php/lib.sh"

# ---- the application, as `composer create-project` + `composer require dargah/laravel` would leave it ----
rm -rf "$dir" && mkdir -p "$dir"
cp -r "$here/app" "$dir/app"
app=$dir/app
mkdir -p "$app/vendor/composer" "$app/bootstrap/cache" "$app/storage/logs" "$app/storage/framework/"{cache/data,sessions,views}
cat >"$app/vendor/autoload.php" <<PHP
<?php
// Stands in for Composer's autoloader: Debian's Laravel and PHPUnit, the package's PSR-4 autoloader, App\\.
require_once '/usr/share/php/Illuminate/autoload.php';
require_once '$repo/laravel/autoload.php';
spl_autoload_register(static function (string \$class): void {
    if (str_starts_with(\$class, 'App\\\\')) {
        \$file = __DIR__ . '/../app/' . str_replace('\\\\', '/', substr(\$class, 4)) . '.php';
        if (is_file(\$file)) {
            require \$file;
        }
    }
});
PHP
php -r '$package = json_decode(file_get_contents($argv[1]), true); $package["version"] = "dev-main";
    file_put_contents($argv[2], json_encode(["packages" => [$package]], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES));' \
    "$repo/laravel/composer.json" "$app/vendor/composer/installed.json"
touch "$app/database/shop.sqlite"
app_key=base64:$(head -c 32 /dev/urandom | base64)
printf 'APP_KEY=%s\nAPP_URL=http://localhost\n' "$app_key" >"$app/.env"

# The extension for every PHP these tests start, also the one `schedule:run` starts for a command.
mkdir -p "$dir/php-conf.d" && echo "extension=$so" >"$dir/php-conf.d/dargah.ini"
export PHP_INI_SCAN_DIR=":$dir/php-conf.d"
export SHOP_APP=$app DARGAH_BIN=$dargah DARGAH_SO=$so
php "$app/artisan" package:discover >/dev/null
php "$app/artisan" migrate --force >/dev/null

# ---- 1. PHPUnit ----
status=0
php /usr/bin/phpunit -c "$here/tests/phpunit.xml" || status=$?
[ "${LARAVEL_SKIP_BROWSER:-}" = 1 ] && exit "$status"

# ---- 2. the browser: nginx on localhost in front of php-fpm, the sandbox on 127.0.0.1 (cross-site) ----
start_sandbox "$dargah" "$dir"
port=$(free_port)
export SHOP_URL=http://localhost:$port
env_lines=$(php -r 'require $argv[1]; foreach (Dargah\Laravel\Testing\Sandbox::envLines($argv[2]) as $l) echo $l, "\n";' \
    "$repo/laravel/src/Testing/Sandbox.php" "$SANDBOX_URL")
printf 'APP_ENV=production\nAPP_URL=%s\nDARGAH_RECONCILE_MIN_AGE=0\n%s\n' "$SHOP_URL" "$env_lines" >>"$app/.env"
# Debian's php.ini and conf.d (pdo_sqlite, mbstring … as a production Laravel needs) and PHP_INI_SCAN_DIR's dargah.ini.
FPM_PHP_INI="" start_fpm "$dir" 2 "SHOP_APP=$app" --
start_nginx "$dir" "$port" "$SHOP_URL" "the Laravel shop" "        root $app/public;
        index index.php;
        location / { try_files \$uri /index.php?\$query_string; }
        location = /index.php {
            include /etc/nginx/fastcgi_params;
            fastcgi_param HTTP_HOST \$http_host; # with its port: Debian's params pass the bare host, and ours is not 80
            fastcgi_param SCRIPT_FILENAME \$document_root/index.php;
            fastcgi_pass unix:$dir/php-fpm.sock;
        }"
echo "the Laravel shop at $SHOP_URL (nginx, php-fpm)"

wd_port=$(free_port)
mkdir -p "$dir/chromium" "$dir/artifacts"
setsid chromedriver --port="$wd_port" --log-path="$dir/chromedriver.log" >/dev/null 2>&1 &
started "-$!"
export WEBDRIVER_URL=http://127.0.0.1:$wd_port CHROMIUM_PROFILE=$dir/chromium SHOP_ARTIFACTS=$dir/artifacts
for _ in $(seq 100); do curl -sf "$WEBDRIVER_URL/status" | grep -q '"ready":true' && break; sleep 0.1; done

browser_status=0
php "$here/test_browser.php" || browser_status=$?
if [ "$browser_status" != 0 ]; then
    echo "--- php-fpm log"; tail -30 "$dir/php-fpm.log"
    echo "--- laravel log, errors"; grep -h "\.ERROR" "$app/storage/logs/laravel.log" | tail -10 | cut -c1-600 || true
fi
[ "$status" = 0 ] && [ "$browser_status" = 0 ]
