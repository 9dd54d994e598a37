#!/usr/bin/env bash
# What the PHP extension's build and tests need on Debian 12, and nothing that
# is already there. Safe to run again. Needs root or sudo for apt-get.
#   php8.2-dev          phpize, php-config, the headers, run-tests.php, gen_stub.php
#   php8.2-cli          the php the tests run
#   php8.2-fpm          the FPM concurrency test and the example shop
#   php-parser          PHP-Parser, which gen_stub.php needs (it would download it)
#   libfcgi-bin         cgi-fcgi: FastCGI requests to php-fpm without a web server
#   nginx               serves the example shop in front of php-fpm
#   valgrind            the leak check of the .phpt tests
#   pkg-config          configure finds libdargah with it
#   chromium, chromium-driver   the example shop's browser test
# The packages' own services are never started (the tests run their own,
# on loopback); Debian may start php8.2-fpm and nginx on install, so they are
# stopped again if this script installed them.
set -euo pipefail

need=()
for pkg in php8.2-dev php8.2-cli php8.2-fpm php-parser libfcgi-bin nginx valgrind pkg-config build-essential \
    chromium chromium-driver; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
((${#need[@]})) || exit 0

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "installing: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
for service in php8.2-fpm nginx; do
    if [[ " ${need[*]} " == *" ${service} "* ]] && command -v service >/dev/null; then
        $SUDO service "$service" stop >/dev/null 2>&1 || true
    fi
done
