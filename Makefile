# Dargah — two commands on a fresh Debian machine:
#   make demo   build and run `dargah demo` (sandbox + SQLite, nothing to set up)
#   make test   install what is missing, then run every test
#
# Each binding adds its own targets in mk/<binding>.mk and appends its test
# target to TEST_TARGETS and its install step to DEPS_TARGETS.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

TEST_TARGETS :=
DEPS_TARGETS :=

# The test databases scripts/db.sh runs on loopback (data under build/db).
# The same servers over verified TLS: the CA scripts/db.sh made, and the user dargah_tls that may connect only over TLS.
DB_TLS := $(CURDIR)/build/db/tls
# DARGAH_PG_PORT / DARGAH_MYSQL_PORT move both (scripts/db.sh reads them too), so two checkouts can test side by side.
PG_PORT := $(or $(DARGAH_PG_PORT),55432)
MY_PORT := $(or $(DARGAH_MYSQL_PORT),53306)
DB_ENV := DARGAH_REQUIRE_DATABASES=1 \
	DARGAH_TEST_POSTGRES_URL=postgres://dargah:dargah@127.0.0.1:$(PG_PORT)/dargah \
	DARGAH_TEST_MYSQL_URL=mysql://dargah:dargah@127.0.0.1:$(MY_PORT)/dargah \
	DARGAH_TEST_POSTGRES_TLS_URL='postgres://dargah_tls:dargah@127.0.0.1:$(PG_PORT)/dargah?sslmode=verify-full&sslrootcert=$(DB_TLS)/ca.pem' \
	DARGAH_TEST_MYSQL_TLS_URL='mysql://dargah_tls:dargah@127.0.0.1:$(MY_PORT)/dargah?ssl-mode=VERIFY_IDENTITY&ssl-ca=$(DB_TLS)/ca.pem' \
	DARGAH_TEST_WRONG_CA=$(DB_TLS)/wrong-ca.pem

.PHONY: demo test deps build lint sandbox clean test-rust db-start db-stop chaos power-cut

demo:
	$(CARGO) run --quiet -p dargah-cli -- demo

-include mk/*.mk

deps: $(DEPS_TARGETS)
	./scripts/install-deps.sh

build:
	$(CARGO) build --workspace --all-targets

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

db-start:
	./scripts/db.sh start all

db-stop:
	./scripts/db.sh stop all

test-rust: deps build db-start
	$(DB_ENV) $(CARGO) test --workspace --no-fail-fast
	$(CARGO) run --quiet -p dargah-cli -- demo

# docs-test last: it reuses the packages and the clean root packages-test made (mk/docs.mk).
test: deps lint test-rust $(TEST_TARGETS) docs-test

sandbox:
	$(CARGO) run --quiet -p dargah-cli -- sandbox --port 8700

# Long randomized runs of the verify-once checker (core/tests/chaos_check.rs):
#   make chaos CHAOS_STORE=sqlite|postgres|mysql CHAOS_SEED=100 CHAOS_ROUNDS=10 CHAOS_PAYMENTS=60 CHAOS_WORKERS=6
# Each seed runs under one reading of every silence of the documents (the seed picks
# them in turn: any 4 consecutive seeds run every reading); it prints the operations
# that ran under each.
CHAOS_STORE ?= sqlite
CHAOS_SEED ?= 100
CHAOS_ROUNDS ?= 10
CHAOS_PAYMENTS ?= 60
CHAOS_WORKERS ?= 6
chaos: deps db-start
	$(DB_ENV) CHAOS_STORE=$(CHAOS_STORE) CHAOS_SEED=$(CHAOS_SEED) CHAOS_ROUNDS=$(CHAOS_ROUNDS) CHAOS_PAYMENTS=$(CHAOS_PAYMENTS) CHAOS_WORKERS=$(CHAOS_WORKERS) \
		$(CARGO) test -p dargah-core --test chaos_check chaos_long -- --ignored --nocapture

# The power-cut matrix (core/tests/power_cut.rs) at its full size: every combination of
# a gateway's readings, and a callback cut that only cron recovers; `make test` runs a part.
power-cut: deps db-start
	$(DB_ENV) POWER_CUT_FULL=1 $(CARGO) test -p dargah-core --test power_cut -- --nocapture

clean:
	$(CARGO) clean
