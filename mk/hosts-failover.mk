# PostgreSQL failover (issue 28 item 3): a primary and a streaming standby on
# loopback (scripts/hosts/failover.sh, data under build/hosts/failover), the
# store given both hosts with target_session_attrs=read-write. Each test makes
# its own fresh pair (synchronous or asynchronous replication) and stops it.
#
#   make hosts-failover-test    synchronous: chaos seeds with the primary killed and the standby promoted;
#                               asynchronous: what a lost paid answer becomes, per gateway; a host turned read-only
#   make hosts-failover-chaos   long synchronous runs ($(HOSTS_CHAOS_ENV))
FAILOVER_PRIMARY_PORT ?= 55532
FAILOVER_STANDBY_PORT ?= 55533
FAILOVER_ENV := DARGAH_FAILOVER_PRIMARY_PORT=$(FAILOVER_PRIMARY_PORT) DARGAH_FAILOVER_STANDBY_PORT=$(FAILOVER_STANDBY_PORT) \
	DARGAH_TEST_FAILOVER_URL='postgres://dargah:dargah@127.0.0.1:$(FAILOVER_PRIMARY_PORT),127.0.0.1:$(FAILOVER_STANDBY_PORT)/dargah?target_session_attrs=read-write'

.PHONY: hosts-failover-test hosts-failover-chaos hosts-failover-stop

# One test at a time: they share the pair's ports. The tests stop the pair
# themselves; the trap stops it if the test binary dies first.
hosts-failover-test:
	@echo "== failover: a PostgreSQL primary and a streaming standby =="
	trap '$(FAILOVER_ENV) ./scripts/hosts/failover.sh stop' EXIT; \
	$(FAILOVER_ENV) $(CARGO) test -p dargah-core --test hosts_failover -- --test-threads=1 --nocapture

hosts-failover-chaos:
	@echo "== failover: long runs, the primary killed and the standby promoted in each =="
	trap '$(FAILOVER_ENV) ./scripts/hosts/failover.sh stop' EXIT; \
	$(FAILOVER_ENV) $(HOSTS_CHAOS_ENV) $(CARGO) test -p dargah-core --test hosts_failover -- --ignored --exact failover_chaos_long --test-threads=1 --nocapture

hosts-failover-stop:
	$(FAILOVER_ENV) ./scripts/hosts/failover.sh stop
