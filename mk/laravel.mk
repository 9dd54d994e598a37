# The Laravel package (laravel/): its tests in a Laravel 8.83 application
# (Debian's php-laravel-framework, PHPUnit 9.6), against the real extension
# and the sandbox. Everything is built under build/laravel/.
#
#   make laravel-test   php -l on the package and the test application, then
#                       tests/laravel/run.sh: PHPUnit in process (every gateway,
#                       replays, cookieless callbacks, the outbox, schedule:run,
#                       forged callbacks; the store in SQLite, PostgreSQL and
#                       MariaDB), then checkout to paid order in headless
#                       Chromium through nginx + php-fpm

LARAVEL_PHP := $(shell find laravel tests/laravel -name '*.php' 2>/dev/null)

.PHONY: deps-laravel laravel-lint laravel-test

deps-laravel:
	./scripts/install-deps-laravel.sh

laravel-lint: deps-laravel
	@for f in $(LARAVEL_PHP); do php -l "$$f" >/dev/null || exit 1; done; echo "php -l: $(words $(LARAVEL_PHP)) files"

laravel-test: deps-laravel laravel-lint php-build php-sandbox db-start
	$(DB_ENV) tests/laravel/run.sh $(DARGAH_BIN) $(PHP_EXT_SO)

TEST_TARGETS += laravel-test
DEPS_TARGETS += deps-laravel
