# The PHP extension (php-ext/), its tests (php-ext/tests, tests/php) and the
# example shop (examples/php-shop/). Everything is built under build/php/.
#
#   make php-build          libdargah (debug) installed into build/php/prefix, then the
#                           extension built out of tree in build/php/ext (phpize, configure
#                           finding libdargah with pkg-config, make)
#   make php-arginfo        regenerate php-ext/dargah_arginfo.h from dargah.stub.php
#   make php-arginfo-check  fail if the committed arginfo is stale
#   make php-test           the .phpt tests with run-tests.php against a sandbox, then a
#                           subset under valgrind (USE_ZEND_ALLOC=0)
#   make php-fpm-test       php-fpm with 4 workers: 50 concurrent callbacks, one verify,
#                           one "newly paid"; connections reused within a worker
#   make php-shop-test      examples/php-shop under php-fpm + nginx, in headless Chromium
#   make php-soak           Debian's php-fpm (its php.ini, opcache on) behind nginx: thousands
#                           of callbacks at once, per-request and long-lived clients, PostgreSQL
#                           and MariaDB each restarted mid-load; crashes, answers, worker RSS
#   make php-memcheck       the same, shorter, with the workers under valgrind
#                           (USE_ZEND_ALLOC=0) and opcache's shared memory read-only
#   make php-asan           the same, shorter, with the extension built with AddressSanitizer
#                           (libasan preloaded into php-fpm, USE_ZEND_ALLOC=0)
#   make php-connections-test  50 settings changes under 8 workers never exhaust
#                           what Dargah's MariaDB user may hold

PHP          ?= php
PHP_BUILD    := build/php
PHP_PREFIX   := $(abspath $(PHP_BUILD)/prefix)
PHP_EXT_DIR  := $(PHP_BUILD)/ext
PHP_EXT_SO   := $(abspath $(PHP_EXT_DIR)/modules/dargah.so)
PHP_ASAN_DIR := $(PHP_BUILD)/asan-ext
PHP_ASAN_SO  := $(abspath $(PHP_ASAN_DIR)/modules/dargah.so)
PHP_PKG_PATH := PKG_CONFIG_PATH=$(PHP_PREFIX)/lib/pkgconfig
# PHP's build files (gen_stub.php, run-tests.php), from php8.2-dev.
PHP_BUILD_FILES = $(shell php-config --extension-dir)/build
PHP_SRC      := $(wildcard php-ext/*.c php-ext/*.h) php-ext/config.m4
DARGAH_BIN   := $(or $(CARGO_TARGET_DIR),target)/debug/dargah

.PHONY: deps-php php-lib php-build php-asan-build php-asan php-arginfo php-arginfo-check php-sandbox php-test php-fpm-test php-shop-test php-soak php-memcheck php-connections-test

deps-php:
	./scripts/install-deps-php.sh

# libdargah as a user installs it: `make install` (mk/c.mk) with its dargah.pc.
php-lib:
	@$(MAKE) --no-print-directory install PREFIX=$(PHP_PREFIX) C_PROFILE=debug >/dev/null

# Out of tree: the sources are copied (keeping their times, so make rebuilds
# only what changed) and phpize runs in the copy, never in php-ext/.
# build_ext DIR, EXTRA_CFLAGS, EXTRA_LDFLAGS: the extension built in DIR.
define build_ext
	@mkdir -p $(1)
	cp -p $(PHP_SRC) $(1)/
	cd $(1) && if [ ! -f Makefile ] || [ config.m4 -nt Makefile ]; then \
		{ phpize >phpize.log 2>&1 || { cat phpize.log; exit 1; }; } && $(PHP_PKG_PATH) ./configure --quiet; fi
	$(MAKE) --no-print-directory -C $(1) EXTRA_CFLAGS="$(2)" EXTRA_LDFLAGS="$(3)" >/dev/null
	@echo "built $(abspath $(1))/modules/dargah.so"
endef

php-build: deps-php php-lib php-arginfo-check
	$(call build_ext,$(PHP_EXT_DIR),-Werror,)

# The same sources with AddressSanitizer: the extension's every memory access
# checked, run under php-fpm with libasan preloaded (PHP itself is not rebuilt).
php-asan-build: deps-php php-lib php-arginfo-check
	$(call build_ext,$(PHP_ASAN_DIR),-Werror -fsanitize=address -fno-omit-frame-pointer,-fsanitize=address)
	$(CC) -shared -fPIC -Wall -Werror -o $(PHP_ASAN_DIR)/no_deepbind.so tests/php/no_deepbind.c -ldl

# gen_stub.php wants PHP-Parser next to itself; Debian's php-parser package
# provides it (the script would otherwise download it).
PHP_STUBGEN := $(PHP_BUILD)/stubgen
$(PHP_STUBGEN)/gen_stub.php:
	@mkdir -p $(PHP_STUBGEN)/PHP-Parser-4.15.1
	ln -sfn /usr/share/php $(PHP_STUBGEN)/PHP-Parser-4.15.1/lib
	cp $(PHP_BUILD_FILES)/gen_stub.php $@

php-arginfo: $(PHP_STUBGEN)/gen_stub.php
	$(PHP) $(PHP_STUBGEN)/gen_stub.php --force-regeneration php-ext/dargah.stub.php

php-arginfo-check: $(PHP_STUBGEN)/gen_stub.php
	@rm -rf $(PHP_STUBGEN)/check && mkdir -p $(PHP_STUBGEN)/check
	@cp php-ext/dargah.stub.php $(PHP_STUBGEN)/check/
	@$(PHP) $(PHP_STUBGEN)/gen_stub.php --force-regeneration $(PHP_STUBGEN)/check/dargah.stub.php >/dev/null
	@diff -u php-ext/dargah_arginfo.h $(PHP_STUBGEN)/check/dargah_arginfo.h \
		|| { echo "php-ext/dargah_arginfo.h is stale: run 'make php-arginfo'" >&2; exit 1; }
	@echo "php-arginfo-check: php-ext/dargah_arginfo.h is up to date"

php-sandbox:
	$(CARGO) build --quiet -p dargah-cli

php-test: deps-php php-build php-sandbox
	tests/php/run-phpt.sh $(DARGAH_BIN) $(PHP_EXT_SO) $(PHP_BUILD_FILES)/run-tests.php

php-fpm-test: deps-php php-build php-sandbox
	tests/php/run-fpm.sh $(DARGAH_BIN) $(PHP_EXT_SO)

php-shop-test: deps-php php-build php-sandbox
	tests/php/run-shop.sh $(DARGAH_BIN) $(PHP_EXT_SO)

# Both restart the test databases (scripts/db.sh, the servers DB_ENV names).
php-soak: deps-php php-build php-sandbox db-start
	$(DB_ENV) tests/php/run-soak.sh $(DARGAH_BIN) $(PHP_EXT_SO) soak

php-memcheck: deps-php php-build php-sandbox db-start
	$(DB_ENV) tests/php/run-soak.sh $(DARGAH_BIN) $(PHP_EXT_SO) memcheck

php-asan: deps-php php-asan-build php-sandbox db-start
	$(DB_ENV) ASAN_SHIM=$(abspath $(PHP_ASAN_DIR))/no_deepbind.so tests/php/run-soak.sh $(DARGAH_BIN) $(PHP_ASAN_SO) asan

php-connections-test: deps-php php-build php-sandbox db-start
	$(DB_ENV) tests/php/run-connections.sh $(DARGAH_BIN) $(PHP_EXT_SO)

TEST_TARGETS += php-test php-fpm-test php-shop-test php-soak php-memcheck php-asan php-connections-test
DEPS_TARGETS += deps-php
