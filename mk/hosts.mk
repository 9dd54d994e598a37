# Several hosts for real (issue 28): the stores behind PgBouncer, on a MariaDB
# Galera cluster, on a PostgreSQL primary with a standby that takes over, and
# workers in network namespaces of their own. Each setup has its own file
# (mk/hosts-<setup>.mk) and script (scripts/hosts/<setup>.sh); its servers run
# on loopback with their data under build/hosts/<setup>.
#
#   make hosts-test     each setup with fixed seeds (part of `make test`)
#   make hosts-chaos    long runs: HOSTS_SEED=100 HOSTS_ROUNDS=10 HOSTS_PAYMENTS=200
HOSTS_SETUPS := pgbouncer galera failover netns
HOSTS_SEED ?= 100
HOSTS_ROUNDS ?= 5
HOSTS_PAYMENTS ?= 200
HOSTS_WORKERS ?= 6
# What a long run passes to the test binaries (each setup's test reads them).
HOSTS_CHAOS_ENV := CHAOS_SEED=$(HOSTS_SEED) CHAOS_ROUNDS=$(HOSTS_ROUNDS) CHAOS_PAYMENTS=$(HOSTS_PAYMENTS) CHAOS_WORKERS=$(HOSTS_WORKERS)

.PHONY: deps-hosts hosts-test hosts-chaos
DEPS_TARGETS += deps-hosts
TEST_TARGETS += hosts-test

deps-hosts:
	./scripts/install-deps-hosts.sh

hosts-test: $(foreach s,$(HOSTS_SETUPS),hosts-$(s)-test)

hosts-chaos: $(foreach s,$(HOSTS_SETUPS),hosts-$(s)-chaos)
