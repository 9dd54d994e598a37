# The documentation, tested (tests/docs/): every block a page calls complete
# (a `<!-- docs-test: run|file|output -->` comment before its fence) is run as
# written in the clean Debian 12 root of `make packages-test`, with only the
# packages installed and `dargah sandbox` on 127.0.0.1:8700: shell blocks run,
# C blocks compile with the documented command, PHP and Python blocks run, and
# shown output is compared. A failure names the page and the line. Then the
# WooCommerce plugin's zip is unpacked there, parsed by the packages' PHP, and
# activated in WordPress from Debian's package (on the test MariaDB).
# About a minute once the packages are built.
#
#   make docs-test    the packages first (make packages), then every page

DOCS_PAGES := README.md $(filter-out docs/benchmarks.md docs/gateway-readings.md,$(sort $(wildcard docs/*.md)))
DOCS_BUILD := build/docs

.PHONY: docs-test

docs-test: packages db-start
	rm -rf $(DOCS_BUILD) && mkdir -p $(DOCS_BUILD)/pages
	python3 tests/docs/extract.py $(DOCS_BUILD)/pages $(DOCS_PAGES)
	cp tests/docs/lib.sh tests/docs/wordpress.php $(DOCS_BUILD)/
	echo $(MY_PORT) >$(DOCS_BUILD)/mysql-port
	tests/packages/run.sh $(PKG_DIR) tests/docs/inside.sh $(DOCS_BUILD)

# `make test` runs it last, after packages-test (the Makefile's test target): the same packages, the same root.
