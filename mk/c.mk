# The C binding: libdargah, include/dargah.h, dargah.pc, the C tests and the
# C example. Everything is built under build/c/.
#
#   make header          regenerate include/dargah.h (cbindgen, pinned version)
#   make header-check    fail if the committed header differs from a fresh one
#   make install PREFIX=/usr/local [DESTDIR=] [C_PROFILE=release|debug]
#   make examples        build examples/c against the staged install (build/c/prefix)
#   make c-test          the C tests with ASan+UBSan and under valgrind, the
#                        example, and the install + pkg-config path

PREFIX    ?= /usr/local
C_PROFILE ?= release
C_BUILD   := build/c
C_TARGET  := $(or $(CARGO_TARGET_DIR),target)

C_VERSION := $(shell sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
C_MAJOR   := $(firstword $(subst ., ,$(C_VERSION)))
# What a program linking libdargah.a also needs (`--print native-static-libs`).
C_STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

# The tests link a debug build installed into build/c/prefix, found through
# pkg-config exactly as a user's program or the PHP extension finds it.
C_TEST_PREFIX := $(abspath $(C_BUILD)/prefix)
C_PKG         := PKG_CONFIG_PATH=$(C_TEST_PREFIX)/lib/pkgconfig pkg-config
C_WARN        := -std=c11 -Wall -Wextra -Werror
C_ASAN        := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
C_TESTS       := api flow threads fork audit

.PHONY: deps-c header header-check install c-lib c-stage c-test-build c-test examples

deps-c:
	./scripts/install-deps-c.sh

header:
	cbindgen --quiet --config ffi-c/cbindgen.toml --crate dargah-ffi --output include/dargah.h ffi-c

header-check:
	@mkdir -p $(C_BUILD)
	cbindgen --quiet --config ffi-c/cbindgen.toml --crate dargah-ffi --output $(C_BUILD)/dargah.h ffi-c
	@diff -u include/dargah.h $(C_BUILD)/dargah.h || { echo "include/dargah.h is stale: run 'make header' and commit it" >&2; exit 1; }
	@echo "header-check: include/dargah.h is up to date"

c-lib:
	$(CARGO) build -p dargah-ffi $(if $(filter release,$(C_PROFILE)),--release)

# Installs the header, libdargah.so.VERSION (SONAME libdargah.so.MAJOR) with
# its two links, libdargah.a and dargah.pc.
install: c-lib
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/dargah.h $(DESTDIR)$(PREFIX)/include/dargah.h
	install -m 755 $(C_TARGET)/$(C_PROFILE)/libdargah.so $(DESTDIR)$(PREFIX)/lib/libdargah.so.$(C_VERSION)
	ln -sf libdargah.so.$(C_VERSION) $(DESTDIR)$(PREFIX)/lib/libdargah.so.$(C_MAJOR)
	ln -sf libdargah.so.$(C_MAJOR) $(DESTDIR)$(PREFIX)/lib/libdargah.so
	install -m 644 $(C_TARGET)/$(C_PROFILE)/libdargah.a $(DESTDIR)$(PREFIX)/lib/libdargah.a
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(C_VERSION)|' -e 's|@NATIVE_STATIC_LIBS@|$(C_STATIC_LIBS)|' \
		ffi-c/dargah.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/dargah.pc

c-stage:
	rm -rf $(C_TEST_PREFIX)
	$(MAKE) --no-print-directory install PREFIX=$(C_TEST_PREFIX) C_PROFILE=debug

# The installed header compiles alone as strict C99 and as C++11; then each
# test twice: with ASan+UBSan, and plain (-O0 -g) for valgrind.
c-test-build: c-stage
	@mkdir -p $(C_BUILD)/asan $(C_BUILD)/plain
	echo '#include <dargah.h>' | $(CC) -x c -std=c99 -Wall -Wextra -Wpedantic -Werror $$($(C_PKG) --cflags dargah) -fsyntax-only -
	echo '#include <dargah.h>' | $(CXX) -x c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror $$($(C_PKG) --cflags dargah) -fsyntax-only -
	$(call c_test_binaries,asan,$(C_ASAN))
	$(call c_test_binaries,plain,-g -O0)

# $(call c_test_binaries,DIR,CFLAGS): every tests/c/test_*.c into build/c/DIR/.
define c_test_binaries
	for t in $(C_TESTS); do \
		$(CC) $(C_WARN) $(2) -o $(C_BUILD)/$(1)/test_$$t tests/c/test_$$t.c tests/c/support.c \
			$$($(C_PKG) --cflags --libs dargah) -Wl,-rpath,$(C_TEST_PREFIX)/lib -lcjson -lpthread || exit 1; \
	done
endef

# The example, built the way docs/c.md says (`cc shop.c $(pkg-config --cflags
# --libs dargah)`) against the staged install, and a statically linked twin
# that needs no libdargah.so at run time.
examples: c-stage
	@mkdir -p $(C_BUILD)/examples
	$(CC) $(C_WARN) -o $(C_BUILD)/examples/shop examples/c/shop.c $$($(C_PKG) --cflags --libs dargah) -Wl,-rpath,$(C_TEST_PREFIX)/lib
	$(CC) $(C_WARN) -o $(C_BUILD)/examples/shop-static examples/c/shop.c $$($(C_PKG) --cflags dargah) \
		-Wl,--as-needed $$($(C_PKG) --variable=libdir dargah)/libdargah.a $$($(C_PKG) --static --libs dargah)

c-test: c-test-build examples
	$(CARGO) build -p dargah-cli
	tests/c/run.sh $(C_TARGET)/debug/dargah $(C_BUILD) $(C_TEST_PREFIX)

TEST_TARGETS += header-check c-test
DEPS_TARGETS += deps-c
