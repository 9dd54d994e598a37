#!/usr/bin/env bash
# What the WooCommerce plugin's build and tests need on Debian 12, and nothing
# that is already there (the extension's own build needs install-deps-php.sh).
# Safe to run again. Needs root or sudo for apt-get.
#   wordpress                  the end-to-end test's WordPress (Debian's package, /usr/share/wordpress)
#   wordpress-l10n             WordPress's own fa_IR translation (right-to-left admin in the Persian tests)
#   php8.2-intl                IntlDateFormatter: Solar Hijri dates in Persian
#   php8.2-mysql               WordPress's mysqli
#   mariadb-server             the WordPress database (started by scripts/db.sh)
#   php8.2-cli, php8.2-fpm, php8.2-dev, nginx   php -l, run-tests.php, serving WordPress
#   gettext                    msgfmt compiles the fa_IR translation into the zip
#   zip                        builds the installable zip
#   chromium, chromium-driver, curl             the browser test
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Installing php8.2-fpm or nginx may start the system's services: they are stopped again.
apt_install_missing_services_stopped "php8.2-fpm nginx apache2" wordpress wordpress-l10n php8.2-intl php8.2-mysql mariadb-server php8.2-cli php8.2-fpm php8.2-dev nginx \
    gettext zip chromium chromium-driver curl
