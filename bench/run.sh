#!/usr/bin/env bash
# `make bench`: every benchmark of docs/benchmarks.md, release builds, on
# loopback against one sandbox process, each figure next to its baseline in
# interleaved rounds. Writes build/bench/results.jsonl, then
# docs/benchmarks.md (bench/report.py; "before" figures from
# bench/results/before.jsonl when it exists).
#
#   bench/run.sh            (make bench; BENCH_ROUNDS=5 by default)
#   BENCH_POSTGRES_URL / BENCH_MYSQL_URL: the stores of B6 (skipped when empty)
#   BENCH_LABEL=before      also keep the figures as bench/results/before.jsonl
#   BENCH_PYTHON=0          skip B3 and the Python half of B5 (no release wheel build)
#   BENCH_STORM_ROUNDS=21   rounds of the 128-duplicate storm under PHP-FPM
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
B=$root/build/bench
target=${CARGO_TARGET_DIR:-$root/target}
ROUNDS=${BENCH_ROUNDS:-5}
STORM_ROUNDS=${BENCH_STORM_ROUNDS:-21}
results=$B/results.jsonl
mkdir -p "$B"
: >"$results"
started_at=$(date +%s)

echo "== release builds"
cargo build --quiet --release -p dargah-cli -p dargah-ffi
# libdargah as a user installs it (soname links included), and the PHP extension
# against it, built out of tree as mk/php.mk does.
make --no-print-directory install PREFIX="$B/prefix" C_PROFILE=release >/dev/null
mkdir -p "$B/ext"
cp -p php-ext/*.c php-ext/*.h php-ext/config.m4 "$B/ext/"
(cd "$B/ext" && { [ -f Makefile ] && [ ! config.m4 -nt Makefile ] || { phpize >phpize.log 2>&1 && PKG_CONFIG_PATH="$B/prefix/lib/pkgconfig" ./configure --quiet; }; } && make --no-print-directory >/dev/null)
so=$B/ext/modules/dargah.so
# The harness links that libdargah (rpath); it and the sandbox are copied out of
# the shared target directory, which another checkout's build may overwrite.
DARGAH_LIB_DIR=$B/prefix/lib cargo build --quiet --release --manifest-path bench/Cargo.toml --target-dir "$target"
mkdir -p "$B/bin"
cp "$target/release/dargah-bench" "$target/release/dargah" "$B/bin/"
bench=$B/bin/dargah-bench

source tests/php/lib.sh
start_sandbox "$B/bin/dargah" "$B"
export BENCH_SANDBOX=$SANDBOX_URL
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "{\"bench\": \"meta\", \"date\": \"$(date -u +%Y-%m-%dT%H:%MZ)\", \"commit\": \"$(git rev-parse --short HEAD)\", \"cpus\": $(nproc), \"load_before\": \"$load\", \"rounds\": $ROUNDS}" >>"$results"

echo "== B1 handle_callback vs the physical minimum"
"$bench" b1 --sandbox "$SANDBOX_URL" --dir "$B/b1" --rounds "$ROUNDS" --n 200 | tee -a "$results"
echo "== B4 128 concurrent duplicates"
"$bench" b4 --sandbox "$SANDBOX_URL" --dir "$B/b4" --rounds "$ROUNDS" --storm 128 | tee -a "$results"

echo "== B2 php-fpm: the extension vs curl + PDO"
export BENCH_PLAIN_DB=$B/fpm/plain.db BENCH_CONFIG=$B/fpm/config.json
rm -rf "$B/fpm" && mkdir -p "$B/fpm/ext" "$B/fpm/plain"
"$bench" config --sandbox "$SANDBOX_URL" --store "sqlite://$B/fpm/dargah.db" >"$BENCH_CONFIG"
vars=("BENCH_SANDBOX=$SANDBOX_URL" "BENCH_PLAIN_DB=$BENCH_PLAIN_DB" "BENCH_CONFIG=$BENCH_CONFIG")
start_fpm "$B/fpm/ext" 4 "${vars[@]}" -- -d "extension=$so" -d extension=pdo -d extension=pdo_sqlite -d extension=curl
ext_master=$FPM_MASTER
start_fpm "$B/fpm/plain" 4 "${vars[@]}" -- -d extension=pdo -d extension=pdo_sqlite -d extension=curl
plain_master=$FPM_MASTER
drive() { # variant round n
    local variant=$1 pool=ext queries=$B/fpm/$1.queries
    [ "$variant" = plain ] && pool=plain
    if [ "$variant" = plain ]; then
        "$bench" prep --sandbox "$SANDBOX_URL" --kind plain --db "$BENCH_PLAIN_DB" --n "$3" --out "$queries" >/dev/null
    else
        "$bench" prep --sandbox "$SANDBOX_URL" --kind dargah --store "sqlite://$B/fpm/dargah.db" --n "$3" --out "$queries" >/dev/null
    fi
    "$bench" fcgi --socket "$B/fpm/$pool/php-fpm.sock" --script "$root/bench/handlers/$variant.php" --queries "$queries" --concurrency 8 \
        | sed "s/^{/{\"bench\": \"b2round\", \"variant\": \"$variant\", \"round\": $2, /"
}
drive plain 0 20 >/dev/null; drive dargah 0 20 >/dev/null # warm both pools
for r in $(seq "$ROUNDS"); do
    drive plain "$r" 300 | tee -a "$results"
    drive dargah "$r" 300 | tee -a "$results"
done
# The storm under PHP-FPM: 128 deliveries of one paid callback at once (128
# client connections, 4 workers), each handler against its own fresh payment.
storm() { # variant round
    local variant=$1 pool=ext queries=$B/fpm/$1.storm
    [ "$variant" = plain ] && pool=plain
    if [ "$variant" = plain ]; then
        "$bench" prep --sandbox "$SANDBOX_URL" --kind plain --db "$BENCH_PLAIN_DB" --n 1 --out "$queries.one" >/dev/null
    else
        "$bench" prep --sandbox "$SANDBOX_URL" --kind dargah --store "sqlite://$B/fpm/dargah.db" --n 1 --out "$queries.one" >/dev/null
    fi
    for _ in $(seq 128); do cat "$queries.one"; done >"$queries"
    "$bench" fcgi --socket "$B/fpm/$pool/php-fpm.sock" --script "$root/bench/handlers/$variant.php" --queries "$queries" --concurrency 128 \
        | sed "s/^{/{\"bench\": \"b2storm\", \"variant\": \"$variant\", \"round\": $2, /"
}
echo "== B4 under PHP-FPM: 128 duplicates, the extension vs curl + PDO"
# The p99 of 128 is the storm's slowest request or two, which the machine's
# scheduling moves a lot (single rounds from 0.15 to 1.6 in one run): many
# short rounds (a second each), the median of them.
for r in $(seq "$STORM_ROUNDS"); do
    storm plain "$r" | tee -a "$results"
    storm dargah "$r" | tee -a "$results"
done
private_kb() { awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' "/proc/$1/smaps_rollup"; }
for pool in ext plain; do
    master=$ext_master
    [ "$pool" = plain ] && master=$plain_master
    kbs=$(for w in $(pgrep -P "$master"); do private_kb "$w"; done | sort -n | paste -sd,)
    echo "{\"bench\": \"b5mem\", \"pool\": \"$pool\", \"private_kb\": [$kbs]}" | tee -a "$results"
done


echo "== B6 1k vs 1M payments stored (SQLite)"
"$bench" b6size --sandbox "$SANDBOX_URL" --dir "$B/b6" --rounds "$ROUNDS" --n 100 | tee -a "$results"
echo "== B6 1 vs 8 processes"
rm -f "$B"/b6/procs.db*
"$bench" b6procs --sandbox "$SANDBOX_URL" --store "sqlite://$B/b6/procs.db" --rounds 3 --procs 8 --n 40 | tee -a "$results"
for url in "${BENCH_POSTGRES_URL:-}" "${BENCH_MYSQL_URL:-}"; do
    [ -n "$url" ] || continue
    "$bench" b6procs --sandbox "$SANDBOX_URL" --store "$url" --rounds 3 --procs 8 --n 40 | tee -a "$results"
done

if [ "${BENCH_PYTHON:-1}" = 1 ]; then
    echo "== B3 Python, B6 through the wheel (and B5 import time)"
    # The wheel a user gets (default features, compressed as mk/packages.mk does), release, in its own venv with requests for the baseline.
    rm -rf "$B/dist"
    (cd python && "$root/build/python/tools/bin/maturin" build --quiet --release --compression-level 9 --out "$B/dist")
    if [ ! -x "$B/venv/bin/python" ]; then python3 -m venv "$B/venv"; fi
    "$B/venv/bin/pip" install -q --force-reinstall --no-deps "$B"/dist/dargah-*.whl
    "$B/venv/bin/python" -c 'import requests' 2>/dev/null || "$B/venv/bin/pip" install -q requests
    "$B/venv/bin/python" bench/py_bench.py "$bench" "$SANDBOX_URL" "$B/py" "$ROUNDS" 200 | tee -a "$results"
    wheel=$(ls "$B"/dist/dargah-*.whl)
    native=$(unzip -l "$wheel" | awk '/_native/ {print $1}' | head -1)
else
    wheel=/dev/null native=0
fi
echo "== B5 sizes"
# libdargah.so as the .deb ships it: stripped as mk/packages.mk strips it.
strip --strip-unneeded -o "$B/libdargah.so.shipped" "$B/prefix/lib/libdargah.so.0.1.0"
echo "{\"bench\": \"b5size\", \"libdargah_so\": $(stat -c %s "$B/prefix/lib/libdargah.so.0.1.0"), \"libdargah_so_shipped\": $(stat -c %s "$B/libdargah.so.shipped"), \"libdargah_a\": $(stat -c %s "$target/release/libdargah.a"), \"php_ext_so\": $(stat -c %s "$so"), \"wheel\": $(stat -c %s "$wheel"), \"wheel_native_so\": ${native:-0}}" | tee -a "$results"
echo "{\"bench\": \"meta_end\", \"seconds\": $(( $(date +%s) - started_at )), \"load_after\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >>"$results"

stop_started
if [ "${BENCH_LABEL:-}" = before ]; then
    mkdir -p bench/results && cp "$results" bench/results/before.jsonl
fi
python3 bench/report.py "$results" docs/benchmarks.md
echo "wrote docs/benchmarks.md ($(( $(date +%s) - started_at )) s)"
