# Binary packages (docs/packages.md): the Debian packages libdargah0,
# libdargah-dev, dargah and php8.2-dargah (cargo-deb, from the crates'
# [package.metadata.deb]), and the manylinux abi3 wheel (maturin, linked with
# zig against an old glibc). Everything lands in build/packages/.
#
#   make packages        build every package, the wheel (release builds) and the WooCommerce plugin zip
#   make packages-test   install them into a clean Debian 12 root (debootstrap)
#                        and use them there: the C example through pkg-config,
#                        the PHP shop, the wheel in a venv, the systemd units, and
#                        one version everywhere (tests/packages/run.sh)
#   make pie-check       php-ext/composer.json (PIE) is valid and agrees with config.m4

PKG_DIR     := build/packages
PKG_STAGE   := $(PKG_DIR)/stage
PKG_PREFIX  := $(abspath $(PKG_DIR)/prefix)
PKG_PHP     := $(PKG_DIR)/php-ext
PKG_TOOLS   := $(PKG_DIR)/tools
PKG_TARGET  := $(abspath $(or $(CARGO_TARGET_DIR),target))
# The wheel's glibc baseline: manylinux2014 (glibc 2.17, CentOS 7's).
PKG_MANYLINUX ?= manylinux_2_17
PKG_CARGO_DEB := $(CARGO) deb --no-build --output $(PKG_DIR)/
# Debian's compiler and linker flags for the extension, hardening included.
PKG_BUILDFLAGS := DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags

.PHONY: deps-packages packages packages-plugin packages-debs packages-wheel packages-lib packages-php packages-test pie-check

deps-packages:
	./scripts/install-deps-packages.sh

# One release build of the library and the command together (built apart,
# cargo would unify features differently and compile the core twice), the
# library staged for the extension's build under build/packages/prefix, and
# dargah.pc as Debian installs it: prefix /usr, the multiarch libdir, the
# workspace version.
packages-lib: deps-packages
	$(CARGO) build --release -p dargah-ffi -p dargah-cli
	@rm -rf $(PKG_PREFIX) $(PKG_STAGE) && mkdir -p $(PKG_STAGE)/php
	install -D -m 644 include/dargah.h $(PKG_PREFIX)/include/dargah.h
	install -D -m 755 $(PKG_TARGET)/release/libdargah.so $(PKG_PREFIX)/lib/libdargah.so
	ln -sf libdargah.so $(PKG_PREFIX)/lib/libdargah.so.0
	strip --strip-unneeded -o $(PKG_STAGE)/libdargah.so.0 $(PKG_TARGET)/release/libdargah.so
	# The static library without debug sections and without the LLVM bitcode
	# the release profile's LTO embeds in each object (a C linker reads
	# neither): 17 MB instead of 25 (measured when ffi-c stopped building an rlib).
	strip --strip-debug --remove-section=.llvmbc --remove-section=.llvmcmd -o $(PKG_STAGE)/libdargah.a $(PKG_TARGET)/release/libdargah.a
	@readelf -d $(PKG_STAGE)/libdargah.so.0 | grep -q 'SONAME.*\[libdargah\.so\.$(C_MAJOR)\]' \
		&& grep -q '"usr/lib/libdargah\.so\.$(C_MAJOR)"' ffi-c/Cargo.toml \
		|| { echo "libdargah's SONAME is not libdargah.so.$(C_MAJOR), the file ffi-c/Cargo.toml packages: update both" >&2; exit 1; }
	sed -e 's|@PREFIX@|/usr|' -e 's|@VERSION@|$(C_VERSION)|' -e 's|@NATIVE_STATIC_LIBS@|$(C_STATIC_LIBS)|' \
		-e 's|^libdir=.*|libdir=$${prefix}/lib/'"$$(dpkg-architecture -qDEB_HOST_MULTIARCH)"'|' \
		ffi-c/dargah.pc.in > $(PKG_STAGE)/dargah.pc
	printf '%s\n' "dargah ($(C_VERSION)-1) bookworm; urgency=medium" "" \
		"  * Release $(C_VERSION); what changed: CHANGELOG.md in the source." "" \
		" -- Dargah Engineers <dev@dargah.invalid>  $$(date -R -d @$$(git log -1 --format=%ct 2>/dev/null || date +%s))" \
		> $(PKG_STAGE)/changelog

# The extension against Debian 12's PHP 8.2 and the staged release libdargah,
# with Debian's build flags, without the staging directory's run path (the package's libdargah is in the
# loader's own path).
packages-php: packages-lib
	@test "$$(php-config --extension-dir)" = /usr/lib/php/20220829 \
		|| { echo "php8.2-dargah is built against Debian 12's PHP 8.2 (php-config --extension-dir = /usr/lib/php/20220829)" >&2; exit 1; }
	rm -rf $(PKG_PHP) && mkdir -p $(PKG_PHP)
	cp -p $(PHP_SRC) $(PKG_PHP)/
	cd $(PKG_PHP) && { phpize >phpize.log 2>&1 || { cat phpize.log; exit 1; }; } \
		&& ./configure --quiet --with-dargah=$(PKG_PREFIX) \
			CFLAGS="$$($(PKG_BUILDFLAGS) --get CFLAGS)" CPPFLAGS="$$($(PKG_BUILDFLAGS) --get CPPFLAGS)" \
			LDFLAGS="$$($(PKG_BUILDFLAGS) --get LDFLAGS)" \
		&& $(MAKE) --no-print-directory EXTRA_CFLAGS=-Werror >make.log 2>&1 \
		|| { cat make.log; exit 1; }
	chrpath -d $(PKG_PHP)/modules/dargah.so
	strip --strip-unneeded -o $(PKG_STAGE)/php/dargah.so $(PKG_PHP)/modules/dargah.so

packages-debs: packages-lib packages-php
	rm -f $(PKG_DIR)/*.deb
	$(PKG_CARGO_DEB) -p dargah-ffi --variant lib --multiarch same
	$(PKG_CARGO_DEB) -p dargah-ffi --variant dev --multiarch same
	packaging/deb-policy.sh $(PKG_DIR)/libdargah$(C_MAJOR)_*.deb $(PKG_DIR)/libdargah-dev_*.deb $(C_MAJOR)
	$(PKG_CARGO_DEB) -p dargah-ffi --variant php
	$(PKG_CARGO_DEB) -p dargah-cli
	@for deb in $(PKG_DIR)/*.deb; do \
		v=$$(dpkg-deb -f "$$deb" Version); [ "$${v%-*}" = "$(C_VERSION)" ] \
			|| { echo "$$deb: version $$v, not the workspace's $(C_VERSION)" >&2; exit 1; }; \
		echo "built $$deb ($$(dpkg-deb -f "$$deb" Package) $$v)"; \
	done
	packaging/check-depends.sh $(PKG_DIR)/libdargah$(C_MAJOR)_*.deb $(PKG_STAGE)/libdargah.so.0
	packaging/check-depends.sh $(PKG_DIR)/php8.2-dargah_*.deb $(PKG_STAGE)/php/dargah.so $(PKG_PREFIX)/lib

# maturin links with zig (--zig, from PyPI) for the manylinux glibc baseline,
# then auditwheel confirms the tag from the symbols the wheel really uses. Its
# own target directory: a zig build shares nothing with the host's, and cargo
# need not wait for the other builds' lock (make -j packages runs both).
# Deflate at level 9: a download about 4 % smaller than maturin's default 6.
packages-wheel: deps-packages
	rm -f $(PKG_DIR)/dargah-*.whl
	cd python && CARGO_TARGET_DIR=$(PKG_TARGET)/wheel PATH=$(abspath $(PKG_TOOLS))/bin:$$PATH maturin build --quiet --release --zig \
		--compatibility $(PKG_MANYLINUX) --compression-level 9 --out ../$(PKG_DIR)
	$(PKG_TOOLS)/bin/auditwheel show $(PKG_DIR)/dargah-*.whl
	@$(PKG_TOOLS)/bin/auditwheel show $(PKG_DIR)/dargah-*.whl | tr -d '\n' | grep -q '"$(PKG_MANYLINUX)_x86_64"' \
		|| { echo "the wheel is not $(PKG_MANYLINUX)" >&2; exit 1; }

# The WooCommerce plugin's zip (make woocommerce-zip) beside them, with the version in its name.
packages-plugin: woocommerce-zip
	rm -f $(PKG_DIR)/dargah-woocommerce-*.zip
	cp $(WC_ZIP) $(PKG_DIR)/dargah-woocommerce-$(C_VERSION).zip

packages: packages-debs packages-wheel packages-plugin pie-check

# PIE reads php-ext/composer.json: Composer's own checks, then the php-ext
# section against config.m4 (extension name, configure options).
pie-check: deps-packages
	composer validate --no-check-publish --no-check-lock --strict php-ext/composer.json
	php tests/packages/pie_check.php php-ext/composer.json php-ext/config.m4

packages-test: packages
	tests/packages/run.sh $(PKG_DIR)

TEST_TARGETS += packages-test
DEPS_TARGETS += deps-packages
