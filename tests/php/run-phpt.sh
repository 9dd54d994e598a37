#!/usr/bin/env bash
# The extension's .phpt tests (php-ext/tests) with PHP's own run-tests.php,
# against a sandbox of their own on a free loopback port: all of them, then a
# representative subset again under valgrind (USE_ZEND_ALLOC=0, so every
# allocation is valgrind's; definite and indirect leaks fail a test).
#
#   tests/php/run-phpt.sh DARGAH_BIN DARGAH_SO RUN_TESTS_PHP     (make php-test)
set -euo pipefail

dargah=$1 so=$2 run_tests=$3
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tmp=$repo/build/php/phpt
source "$here/lib.sh"

rm -rf "$tmp" && mkdir -p "$tmp"
start_sandbox "$dargah" "$tmp"
export DARGAH_TEST_TMP=$tmp
export NO_INTERACTION=1 TEST_PHP_EXECUTABLE=${PHP:-php}

# -n: no php.ini (only what PHP itself and this extension bring); results in build/.
run() { # label, then run-tests.php options and tests: one pass or fail per test
    local label=$1 log="$tmp/$1.log" line
    shift
    echo "== $label"
    set +e
    "$TEST_PHP_EXECUTABLE" "$run_tests" -n -q -P --no-color --no-progress --show-diff -d "extension=$so" "$@" >"$log" 2>&1
    set -e
    while read -r line; do
        case $line in
            "PASS "*) pass "$label: ${line#PASS }" ;;
            *) fail "$label: $line" ;;
        esac
    done < <(grep -E '^(PASS|FAIL|SKIP|LEAK|BORK|XFAIL|WARN|LEAK&FAIL) ' "$log" | sed 's/ \[[^]]*\] *$//')
    # The diff of a failed test; run-tests.php's own complaints.
    sed -n '/^========DIFF========/,/^========DONE========/p' "$log"
    grep -E '^(Cannot|Fatal|No tests)' "$log" && fail "$label: run-tests.php" || true
}

# run-tests.php writes its .out/.diff files next to the tests: run a copy.
cp -r "$repo/php-ext/tests" "$tmp/tests"

run phpt "$tmp/tests"

# Under valgrind: loading, the flow of one GET and one POST gateway, every
# exception raised for real, argument checks, objects, fork.
export VALGRIND_OPTS="--leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
--num-callers=40 --suppressions=$here/valgrind.supp"
valgrind_tests=(001-load 010-flow-vandar 010-flow-atipay 020-errors-input 021-errors-config 023-errors-callback \
    025-errors-in-doubt 030-arguments 031-objects 050-fork 060-logger 080-immutable-config)
run valgrind -m $(printf "$tmp/tests/%s.phpt " "${valgrind_tests[@]}")
for mem in "$tmp"/tests/*.mem; do
    [ -e "$mem" ] && { echo "--- $(basename "$mem")"; head -60 "$mem"; }
done
[ "$failed" = 0 ] && echo "valgrind: ${#valgrind_tests[@]} tests, no memory error and no definite or indirect leak"

summary php-test
