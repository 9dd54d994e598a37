# PgBouncer (issue 28 item 1): the PostgreSQL store through Debian's PgBouncer
# 1.18, transaction pooling (prepare=false in the store URL) on 56432 and
# session pooling on 56433, in front of scripts/db.sh's PostgreSQL, which the
# tests restart. scripts/hosts/pgbouncer.sh runs the poolers; they are stopped
# when the tests end, failed or not.
#   make hosts-pgbouncer-test    the store conformance suite through each pool mode, then
#                                core/tests/hosts_pgbouncer.rs (fixed chaos seeds, a restart waited out)
#   make hosts-pgbouncer-chaos   long chaos runs ($(HOSTS_CHAOS_ENV))
PGBOUNCER_TX_PORT := $(or $(DARGAH_PGBOUNCER_TX_PORT),56432)
PGBOUNCER_SESSION_PORT := $(or $(DARGAH_PGBOUNCER_SESSION_PORT),56433)
PGBOUNCER_ENV := DARGAH_TEST_PGBOUNCER_TX_URL='postgres://dargah:dargah@127.0.0.1:$(PGBOUNCER_TX_PORT)/dargah?prepare=false' \
	DARGAH_TEST_PGBOUNCER_SESSION_URL=postgres://dargah:dargah@127.0.0.1:$(PGBOUNCER_SESSION_PORT)/dargah
# Start the poolers, run $(1), stop them whatever happened.
with_pgbouncer = ./scripts/hosts/pgbouncer.sh start && trap './scripts/hosts/pgbouncer.sh stop' EXIT && $(1)

.PHONY: hosts-pgbouncer-test hosts-pgbouncer-chaos

hosts-pgbouncer-test: db-start
	@echo "== pgbouncer"
	$(call with_pgbouncer, \
		$(CARGO) test -p dargah-core --test store_conformance --test hosts_pgbouncer --no-run && \
		for url in 'postgres://dargah:dargah@127.0.0.1:$(PGBOUNCER_TX_PORT)/dargah?prepare=false' postgres://dargah:dargah@127.0.0.1:$(PGBOUNCER_SESSION_PORT)/dargah; do \
			echo "pgbouncer: the store conformance suite through $$url" && \
			DARGAH_TEST_POSTGRES_URL="$$url" $(CARGO) test -p dargah-core --test store_conformance || exit 1; \
		done && \
		$(PGBOUNCER_ENV) $(CARGO) test -p dargah-core --test hosts_pgbouncer -- --test-threads=1 --nocapture)

hosts-pgbouncer-chaos: db-start
	@echo "== pgbouncer"
	$(call with_pgbouncer, $(PGBOUNCER_ENV) $(HOSTS_CHAOS_ENV) $(CARGO) test -p dargah-core --test hosts_pgbouncer -- --ignored --exact chaos_long_through_pgbouncer --nocapture)
