# Network faults between the shop's hosts (issue 28, item 4): workers in network
# namespaces of their own (scripts/hosts/netns.sh), slow and lossy links, and a
# worker cut off from the database and another from the gateway mid-callback.
# Needs root. The namespaces are removed at the end, even on failure.
#
#   make hosts-netns-test    fixed seeds, PostgreSQL and MariaDB (core/tests/hosts_netns.rs)
#   make hosts-netns-chaos   long runs: HOSTS_SEED, HOSTS_ROUNDS, HOSTS_PAYMENTS, HOSTS_WORKERS (mk/hosts.mk)
NETNS_WORKERS ?= $(HOSTS_WORKERS)
NETNS_RUN = trap './scripts/hosts/netns.sh down' EXIT; trap 'exit 130' INT TERM; \
	./scripts/hosts/netns.sh up $(NETNS_WORKERS) && \
	$(DB_ENV) DARGAH_HOSTS_NETNS=$(NETNS_WORKERS)

.PHONY: hosts-netns-test hosts-netns-chaos

hosts-netns-test: deps-hosts db-start
	$(CARGO) test -p dargah-core --test hosts_netns --no-run
	@echo "== netns"
	$(NETNS_RUN) $(CARGO) test -p dargah-core --test hosts_netns -- --nocapture --test-threads=1

hosts-netns-chaos: deps-hosts db-start
	$(CARGO) test -p dargah-core --test hosts_netns --no-run
	@echo "== netns (long)"
	$(NETNS_RUN) $(HOSTS_CHAOS_ENV) $(CARGO) test -p dargah-core --test hosts_netns -- --nocapture --test-threads=1
