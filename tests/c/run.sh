#!/usr/bin/env bash
# Runs the C tests against a sandbox of their own on a free loopback port:
# every test binary built with ASan+UBSan, then the same tests under
# valgrind, then the example shop (shared and static) with curl playing the
# customer, then the installed pkg-config metadata.
#
#   tests/c/run.sh DARGAH_BIN BUILD_DIR PREFIX       (make c-test builds all three)
set -euo pipefail

dargah=$1 build=$(realpath "$2") prefix=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)
tests=(api flow threads fork audit)
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

# ---- the sandbox ----
tmp="$build/tmp"
rm -rf "$tmp" && mkdir -p "$tmp" "$build/valgrind"
"$dargah" sandbox --port 0 2>"$build/sandbox.log" &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    url=$(sed -n 's/^dargah sandbox listening on \(http:[^ ]*\).*/\1/p' "$build/sandbox.log")
    [ -n "$url" ] && break
    kill -0 "$sandbox_pid" 2>/dev/null || { cat "$build/sandbox.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { echo "the sandbox did not start" >&2; exit 1; }
echo "sandbox at $url"
export DARGAH_SANDBOX_URL=$url DARGAH_TEST_TMP=$tmp
export DARGAH_CARGO_VERSION=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)

# ---- AddressSanitizer + UndefinedBehaviorSanitizer, leak checks on (in forked children too) ----
# Full unwinding on malloc: libdargah has no frame pointers, and lsan.supp
# matches on its frames.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:fast_unwind_on_malloc=0
export LSAN_OPTIONS=suppressions=$here/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "${tests[@]}"; do
    echo "== asan+ubsan: test_$t"
    if "$build/asan/test_$t"; then pass "asan+ubsan test_$t"; else fail "asan+ubsan test_$t"; fi
done
unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS

# ---- valgrind: memory errors and leaks, in every process, forked children included ----
# Errors: every memory error, and blocks "definitely" or "indirectly" lost.
# "Possibly lost" blocks (only an interior pointer to them: Rust's hash
# tables and Arc<dyn …>, SQLite's page cache; in fork() children also the
# parent's context, which the child keeps but must not touch) are listed in
# the logs and counted below, not failed on. valgrind.supp names the only
# suppressed blocks: the I/O runtime that is built once per process.
for t in "${tests[@]}"; do
    echo "== valgrind: test_$t"
    rm -f "$build/valgrind/test_$t".*.log
    if valgrind --error-exitcode=99 --num-callers=50 --fair-sched=yes \
        --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect \
        --suppressions="$here/valgrind.supp" --log-file="$build/valgrind/test_$t.%p.log" \
        "$build/plain/test_$t"; then
        pass "valgrind test_$t"
    else
        fail "valgrind test_$t"
        cat "$build/valgrind/test_$t".*.log
    fi
    for log in "$build/valgrind/test_$t".*.log; do
        echo "   $(basename "$log"): $(grep -h -o 'ERROR SUMMARY: [0-9,]* errors' "$log");" \
            "$(grep -h -o -E '(definitely|indirectly|possibly) lost: [0-9,]+ bytes in [0-9,]+ blocks' "$log" | paste -sd, -)"
    done
done

# ---- the example: the shop serves its callback; curl is the customer's browser ----
customer() { # gateway token shop-log: pay on the sandbox, then follow the browser back to the shop
    local answer method cb_url form
    answer=$(curl -sf -X POST "$url/_control/pay" -H 'content-type: application/json' \
        -d "{\"gateway\":\"$1\",\"token\":\"$2\",\"action\":\"pay\",\"card\":\"6037991234567890\"}")
    method=$(jq -r .method <<<"$answer") cb_url=$(jq -r .url <<<"$answer")
    form=$(jq -r '.form | to_entries | map("\(.key|@uri)=\(.value|@uri)") | join("&")' <<<"$answer")
    if [ "$method" = POST ]; then curl -sf -X POST --data "$form" "$cb_url"; else curl -sf "$cb_url"; fi
}
run_example() { # binary gateway
    local log="$tmp/example-$2.log" page token pid
    (cd "$tmp" && exec "$1" "$url" "$2") >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q '^token ' "$log" && break; sleep 0.1; done
    token=$(sed -n 's/^token //p' "$log")
    page=$(sed -n 's/^pay at //p' "$log")
    [ -n "$token" ] && curl -sf "$page" | grep -q '<!doctype html>' && customer "$2" "$token" | grep -q 'Thank you' \
        && wait "$pid" && grep -q '^outcome newly_paid' "$log"
    local ok=$?
    kill "$pid" 2>/dev/null || true
    sed 's/^/    /' "$log"
    return $ok
}
echo "== example"
if run_example "$build/examples/shop" canpay; then pass "example shop (canpay, GET redirect)"; else fail "example shop (canpay)"; fi
if run_example "$build/examples/shop-static" atipay && ! readelf -d "$build/examples/shop-static" | grep -q libdargah; then
    pass "example shop-static (atipay, POST redirect, no libdargah.so needed)"
else
    fail "example shop-static (atipay)"
fi

# ---- the installed library as pkg-config describes it ----
echo "== install + pkg-config"
pc() { PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config "$@"; }
soname=$(readelf -d "$prefix/lib/libdargah.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$(pc --modversion dargah)" = "$DARGAH_CARGO_VERSION" ] && [ "$(pc --variable=includedir dargah)" = "$prefix/include" ] \
    && [ "$soname" = "libdargah.so.${DARGAH_CARGO_VERSION%%.*}" ] && [ -e "$prefix/lib/$soname" ] \
    && readelf -d "$build/examples/shop" | grep -q "NEEDED.*\[$soname\]"; then
    pass "dargah.pc, SONAME $soname and its links"
else
    fail "dargah.pc, SONAME and links"
fi

# The library exports exactly the functions the header declares.
exported=$(nm -D --defined-only "$prefix/lib/libdargah.so" | awk '{print $3}' | sort)
declared=$(sed -n -E 's/^[A-Za-z][^(]*[ *](dargah_[a-z0-9_]+)\(.*/\1/p' "$prefix/include/dargah.h" | sort)
if [ -n "$declared" ] && [ "$exported" = "$declared" ]; then
    pass "libdargah.so exports exactly the $(wc -l <<<"$declared") functions of dargah.h"
else
    fail "exports differ from dargah.h:"; diff <(echo "$declared") <(echo "$exported") || true
fi

echo "C binding: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
