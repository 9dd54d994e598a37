#!/usr/bin/env bash
# What the Laravel package's tests need on Debian 12, and nothing that is
# already there (the extension's own build needs install-deps-php.sh).
# Safe to run again. Needs root or sudo for apt-get.
#   php-laravel-framework     Laravel 8.83 (/usr/share/php/Illuminate): the test application boots the
#                             package with it, through Debian's autoloaders (no Composer downloads)
#   phpunit                   PHPUnit 9.6: the package's tests and its testing-kit trait
#   php8.2-sqlite3, php8.2-pgsql, php8.2-mysql   the test application's own database (PDO), in which
#                             Dargah keeps its tables by default: SQLite, PostgreSQL, MariaDB
#   php8.2-cli, php8.2-fpm, nginx, curl   artisan, serving the application in the browser test
#   chromium, chromium-driver the end-to-end test in headless Chromium
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Installing php8.2-fpm or nginx may start the system's services: they are stopped again.
apt_install_missing_services_stopped "php8.2-fpm nginx apache2" php-laravel-framework phpunit php8.2-sqlite3 php8.2-pgsql php8.2-mysql php8.2-cli php8.2-fpm nginx curl \
    chromium chromium-driver
