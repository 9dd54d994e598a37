# The WooCommerce plugin (woocommerce/): its installable zip and its tests.
# Everything is built under build/woocommerce/.
#
#   make woocommerce-zip    build/woocommerce/dargah-woocommerce.zip: the plugin folder, with
#                           the fa_IR translation compiled by msgfmt (the .mo is not committed)
#   make woocommerce-lint   php -l on every PHP file; the committed .pot holds every string
#                           of the code (xgettext) and fa_IR translates every one of them;
#                           no post meta or posts queries (orders only through WC_Order, HPOS)
#   make woocommerce-test   the lint, then WordPress (Debian's package) on MariaDB with the
#                           WooCommerce stand-in (tests/woocommerce/standin) as a must-use
#                           plugin, the zip installed and activated, the real extension and
#                           the sandbox: the plugin's classes (.phpt, run-tests.php), then
#                           checkout to paid order in headless Chromium, then the plugin's
#                           edges (forged callbacks, parameter shapes, no extension, the
#                           settings page, the Persian order screen)

WC_BUILD  := build/woocommerce
WC_ZIP    := $(abspath $(WC_BUILD)/dargah-woocommerce.zip)
WC_PHP    := $(shell find woocommerce tests/woocommerce -name '*.php' -o -name '*.inc' 2>/dev/null)
WC_PO     := woocommerce/languages/dargah-woocommerce-fa_IR.po
WC_POT    := woocommerce/languages/dargah-woocommerce.pot
WC_KEYWORDS := --keyword=__ --keyword=_e --keyword=esc_html__ --keyword=esc_html_e --keyword=esc_attr__ \
	--keyword=esc_attr_e --keyword=_x:1,2c --keyword=_n:1,2 --keyword=_nx:1,2,4c

.PHONY: deps-woocommerce woocommerce-zip woocommerce-pot woocommerce-lint woocommerce-test

deps-woocommerce:
	./scripts/install-deps-woocommerce.sh

woocommerce-zip: deps-woocommerce
	rm -rf $(WC_BUILD)/zip $(WC_ZIP) && mkdir -p $(WC_BUILD)/zip
	cp -r woocommerce $(WC_BUILD)/zip/dargah-woocommerce
	msgfmt --check -o $(WC_BUILD)/zip/dargah-woocommerce/languages/dargah-woocommerce-fa_IR.mo $(WC_PO)
	cd $(WC_BUILD)/zip && zip -qr -X $(WC_ZIP) dargah-woocommerce
	@echo "built $(WC_ZIP)"

# Regenerate the template from the code, then merge it into the translation.
woocommerce-pot:
	xgettext --language=PHP --from-code=UTF-8 $(WC_KEYWORDS) --add-comments=translators: \
		--package-name="Dargah for WooCommerce" --sort-output -o $(WC_POT) $$(find woocommerce -name '*.php' | sort)
	sed -i '/^"POT-Creation-Date:/d' $(WC_POT) # stable across runs
	msgmerge --quiet --update --backup=none --no-fuzzy-matching $(WC_PO) $(WC_POT)

woocommerce-lint: deps-woocommerce
	@for f in $(WC_PHP); do php -l "$$f" >/dev/null || exit 1; done; echo "php -l: $(words $(WC_PHP)) files"
	@mkdir -p $(WC_BUILD)
	@xgettext --language=PHP --from-code=UTF-8 $(WC_KEYWORDS) --sort-output \
		-o $(WC_BUILD)/code.pot $$(find woocommerce -name '*.php' | sort)
	@msgcmp --use-untranslated $(WC_BUILD)/code.pot $(WC_POT) && msgcmp --use-untranslated $(WC_POT) $(WC_BUILD)/code.pot \
		|| { echo "$(WC_POT) is stale: run 'make woocommerce-pot'" >&2; exit 1; }
	@msgcmp $(WC_PO) $(WC_POT) || { echo "$(WC_PO) does not translate every string" >&2; exit 1; }
	@msgfmt --check --statistics -o /dev/null $(WC_PO)
	@! grep -rnE 'post_meta|get_post\(|wp_posts|->posts\b' woocommerce --include='*.php' \
		|| { echo "order data goes through WC_Order CRUD only (HPOS)" >&2; exit 1; }

woocommerce-test: deps-woocommerce woocommerce-lint woocommerce-zip php-build php-sandbox db-start
	tests/woocommerce/run.sh $(DARGAH_BIN) $(PHP_EXT_SO) $(WC_ZIP) $(PHP_BUILD_FILES)/run-tests.php

TEST_TARGETS += woocommerce-test
DEPS_TARGETS += deps-woocommerce
