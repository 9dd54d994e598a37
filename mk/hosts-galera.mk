# A 3-node MariaDB Galera cluster on loopback (issue 28 item 2, scripts/hosts/galera.sh,
# core/tests/hosts_galera.rs): the store conformance suite against node 1, then the
# Galera tests (workers spread over the nodes under the chaos checker while a node is
# killed and rejoins, claims from two nodes at once, causal reads). The cluster is
# stopped afterwards, on failure too.
#
#   make hosts-galera-test    fixed seeds (part of make hosts-test)
#   make hosts-galera-chaos   long runs: HOSTS_SEED / HOSTS_ROUNDS / HOSTS_PAYMENTS / HOSTS_WORKERS
GALERA_PORT := $(or $(DARGAH_GALERA_PORT),53406)
GALERA_URLS := $(foreach i,0 1 2,mysql://dargah:dargah@127.0.0.1:$(shell echo $$(($(GALERA_PORT) + $(i))))/dargah)
GALERA_ENV := DARGAH_TEST_GALERA_URLS='$(GALERA_URLS)'

.PHONY: hosts-galera-test hosts-galera-chaos

hosts-galera-test: deps-hosts
	$(CARGO) build -p dargah-core --test store_conformance --test hosts_galera
	@echo "== galera =="
	@trap './scripts/hosts/galera.sh stop' EXIT; set -e; \
		./scripts/hosts/galera.sh start; \
		DARGAH_TEST_MYSQL_URL=$(firstword $(GALERA_URLS)) $(CARGO) test -p dargah-core --test store_conformance; \
		$(GALERA_ENV) $(CARGO) test -p dargah-core --test hosts_galera -- --test-threads=1 --nocapture

hosts-galera-chaos: deps-hosts
	$(CARGO) build -p dargah-core --test hosts_galera
	@echo "== galera =="
	@trap './scripts/hosts/galera.sh stop' EXIT; set -e; \
		./scripts/hosts/galera.sh start; \
		$(GALERA_ENV) $(HOSTS_CHAOS_ENV) $(CARGO) test -p dargah-core --test hosts_galera chaos_galera_long -- --ignored --nocapture
