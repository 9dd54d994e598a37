# Benchmarks (bench/, docs/benchmarks.md). Not part of `make test`.
#
#   make bench      release builds; B1-B6 on loopback against the sandbox, each
#                   figure a ratio to a baseline measured in the same run, in
#                   interleaved rounds; writes docs/benchmarks.md
#   make bench BENCH_ROUNDS=3     fewer rounds
#   make bench BENCH_STORM_ROUNDS=9  fewer rounds of the PHP-FPM storm (21 by default, a second each)
#   make bench BENCH_LABEL=before also keep the figures as bench/results/before.jsonl,
#                                 the "before" column of later runs
#
# B6 runs on PostgreSQL and MariaDB too: the servers of `make db-start`
# (DARGAH_PG_PORT / DARGAH_MYSQL_PORT as scripts/db.sh reads them).

BENCH_ROUNDS ?= 5
BENCH_STORM_ROUNDS ?= 21
BENCH_POSTGRES_URL ?= postgres://dargah:dargah@127.0.0.1:$(or $(DARGAH_PG_PORT),55432)/dargah
BENCH_MYSQL_URL ?= mysql://dargah:dargah@127.0.0.1:$(or $(DARGAH_MYSQL_PORT),53306)/dargah

.PHONY: bench deps-bench

deps-bench:
	./bench/install-deps.sh

bench: deps-php deps-python deps-bench db-start
	BENCH_ROUNDS=$(BENCH_ROUNDS) BENCH_STORM_ROUNDS=$(BENCH_STORM_ROUNDS) BENCH_POSTGRES_URL='$(BENCH_POSTGRES_URL)' BENCH_MYSQL_URL='$(BENCH_MYSQL_URL)' ./bench/run.sh
