#!/usr/bin/env bash
# What the PHP extension's build and tests need on Debian 12, and nothing that
# is already there. Safe to run again. Needs root or sudo for apt-get.
#   php8.2-dev          phpize, php-config, the headers, run-tests.php, gen_stub.php
#   php8.2-cli          the php the tests run
#   php8.2-fpm          the FPM concurrency test and the example shop
#   php8.2-sqlite3      the example shop keeps its orders in SQLite (PDO)
#   php-parser          PHP-Parser, which gen_stub.php needs (it would download it)
#   libfcgi-bin         cgi-fcgi: FastCGI requests to php-fpm without a web server
#   nginx               serves the example shop in front of php-fpm
#   valgrind            the leak check of the .phpt tests
#   build-essential, pkg-config   building the extension; configure finds libdargah with pkg-config
#   curl                the FPM test plays the payment page with it
#   chromium, chromium-driver     the example shop's browser test
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Installing php8.2-fpm or nginx may start the system's services: they are stopped again.
apt_install_missing_services_stopped "php8.2-fpm nginx" php8.2-dev php8.2-cli php8.2-fpm php8.2-sqlite3 php-parser libfcgi-bin nginx valgrind \
    build-essential pkg-config curl chromium chromium-driver
