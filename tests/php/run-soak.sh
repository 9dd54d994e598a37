#!/usr/bin/env bash
# The extension under load as a shop runs it (issue 25): Debian's php8.2-fpm with
# Debian's own php.ini and conf.d (opcache on, so a `require`d configuration is an
# immutable array in opcache's shared memory), several static workers behind nginx,
# thousands of Vandar callbacks from several clients at once, on a PostgreSQL and then
# a MariaDB store, each restarted in the middle of the load.
#
# Every payment's callback arrives twice: once through php-fpm, where the page makes a
# client per request from a required config.php as docs/php.md shows, and once through
# a long-lived client (one Dargah\Client in a CLI process for all its callbacks, as a
# queue worker keeps one), in another order, at the same time.
#
# Asserts: no worker exits on a signal, no "zend_mm_heap", no PHP fatal error, no HTTP
# 5xx at all (the engine waits out the database's restart inside the request; a 503 the
# page answers on a store error is tried again so the load goes on, and counted as a
# failure), exactly one `newly_paid` per payment and every payment paid in the store, and
# worker memory flat after warm-up (RSS per worker, printed).
#
#   tests/php/run-soak.sh DARGAH_BIN DARGAH_SO            (make php-soak)
#   tests/php/run-soak.sh DARGAH_BIN DARGAH_SO memcheck   (make php-memcheck)
#   tests/php/run-soak.sh DARGAH_BIN ASAN_SO asan         (make php-asan)
#
# memcheck: a shorter load with the workers under valgrind (USE_ZEND_ALLOC=0, so every
# allocation is valgrind's) and opcache.protect_memory=1 (opcache's shared memory
# read-only: any write to a cached script's arrays is a SIGSEGV at the writing line).
# asan: a shorter load with an extension built with -fsanitize=address, libasan preloaded
# into php-fpm and the CLI clients (ASAN_SHIM, see no_deepbind.c), USE_ZEND_ALLOC=0 (PHP's own allocations go through
# malloc, which ASan watches) and opcache.protect_memory=1; fails on any ASan report.
# Needs DARGAH_TEST_POSTGRES_URL and DARGAH_TEST_MYSQL_URL (servers of scripts/db.sh,
# which this script restarts).
set -euo pipefail

dargah=$1 so=$2 mode=${3:-soak}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
root=$repo/build/php/$mode
source "$here/lib.sh"

if [ "$mode" = memcheck ]; then
    CALLBACKS=${SOAK_MEMCHECK_CALLBACKS:-20} WORKERS=2 CLIENTS=2
elif [ "$mode" = asan ]; then
    CALLBACKS=${SOAK_ASAN_CALLBACKS:-300} WORKERS=4 CLIENTS=4
else
    CALLBACKS=${SOAK_CALLBACKS:-1000} WORKERS=${SOAK_WORKERS:-4} CLIENTS=${SOAK_CLIENTS:-4}
fi
# RSS growth per worker from warm-up to the end that still counts as flat.
RSS_GROWTH_KB=${SOAK_RSS_GROWTH_KB:-8192}

for var in DARGAH_TEST_POSTGRES_URL DARGAH_TEST_MYSQL_URL; do
    [ -n "${!var:-}" ] || { echo "$var is not set: run make php-soak (it passes the test databases)" >&2; exit 1; }
done
rm -rf "$root" && mkdir -p "$root"
port_of() { php -n -r 'echo parse_url($argv[1], PHP_URL_PORT);' "$1"; }
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
rss_of_workers() { for w in $(pgrep -P "$FPM_MASTER" | sort -n); do echo "$(ps -o rss= -p "$w" | tr -d ' ')"; done | paste -sd' '; }

soak_store() { # NAME (postgres|mysql) URL
    local name=$1 url=$2 dir=$root/$1
    # The PHP that loads the extension outside php-fpm (seeding, the long-lived client, checks).
    # Under ASan, every PHP (php-fpm and the CLI) runs in this environment: the shim that
    # keeps PHP's RTLD_DEEPBIND from the ASan runtime (see no_deepbind.c) comes first, so
    # ASan is told not to insist on being first. Leaks are PHP's own at exit (its
    # allocator is off); every other report counts.
    local asan_env=() cli=(php)
    if [ "$mode" = asan ]; then
        asan_env=(env "LD_PRELOAD=$ASAN_SHIM:$(gcc -print-file-name=libasan.so)" "ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:log_path=$dir/asan")
        cli=("${asan_env[@]}" php)
    fi
    local www=$dir/www
    mkdir -p "$www"
    echo "== $name: $CALLBACKS payments, $WORKERS php-fpm workers, $CLIENTS clients at once, a restart in the middle"
    start_sandbox "$dargah" "$dir" >/dev/null
    php -n -r '$c = json_decode(file_get_contents($argv[1]), true);
        $cfg = ["store" => $argv[2], "table_prefix" => $argv[3], "vandar" => $c["vandar"],
            "lease_secs" => 10, "http" => ["request_timeout_ms" => 3000]];
        file_put_contents($argv[4], "<?php\nreturn " . var_export($cfg, true) . ";\n");' \
        "$SANDBOX_CONFIG" "$url" "soak_${name}_$$_" "$www/config.php"
    touch -d '1 minute ago' "$www/config.php" # old enough for opcache to keep it in shared memory
    cp "$here/soak/callback.php" "$here/soak/opcache.php" "$www/"

    local part seeders=()
    for part in 1 2 3 4; do # four at once: seeding is not what is measured
        "${cli[@]}" -n -d "extension=$so" "$here/soak/seed.php" "$www/config.php" "$SANDBOX_URL" $((CALLBACKS / 4)) >"$dir/seeded.$part" &
        seeders+=($!)
    done
    for part in "${seeders[@]}"; do wait "$part"; done
    cat "$dir"/seeded.? >"$dir/seeded"
    CALLBACKS=$(lines "$dir/seeded")
    cut -f2 "$dir/seeded" >"$dir/ids"
    tac "$dir/seeded" >"$dir/seeded-reversed" # the long-lived client goes the other way

    local extra=()
    if [ "$mode" = memcheck ]; then
        export USE_ZEND_ALLOC=0
        FPM_WRAPPER="valgrind --error-limit=no --num-callers=40 --log-file=$dir/valgrind.%p.log --suppressions=$here/valgrind.supp"
        FPM_START_TRIES=900
        extra=(-d opcache.protect_memory=1)
    elif [ "$mode" = asan ]; then
        export USE_ZEND_ALLOC=0
        FPM_WRAPPER="${asan_env[*]}"
        extra=(-d opcache.protect_memory=1)
    fi
    FPM_PHP_INI="" FPM_WRAPPER=${FPM_WRAPPER:-} FPM_START_TRIES=${FPM_START_TRIES:-100} \
        start_fpm "$dir" "$WORKERS" -- -d "extension=$so" "${extra[@]}"
    unset USE_ZEND_ALLOC
    # Under ASan: how many workers really run with the ASan runtime (a check that checks).
    local asan_workers=0
    for w in $(pgrep -P "$FPM_MASTER"); do grep -q libasan "/proc/$w/maps" && asan_workers=$((asan_workers + 1)); done
    local port
    port=$(free_port)
    start_nginx "$dir" "$port" "http://127.0.0.1:$port" "nginx for the soak" "
        root $www; index opcache.php;
        location ~ \\.php\$ { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name; fastcgi_pass unix:$dir/php-fpm.sock; }"
    # The workers run Debian's php.ini with opcache, and keep config.php in shared memory.
    local opcache
    opcache=$(curl -s "http://127.0.0.1:$port/opcache.php")
    local t0
    t0=$(date +%s)

    "${cli[@]}" -d "extension=$so" "$here/soak/long-lived.php" "$www/config.php" "$dir/seeded-reversed" >"$dir/long.out" 2>"$dir/long.err" &
    local long=$!
    started "$long"
    cut -f1 "$dir/seeded" | sed "s|^|http://127.0.0.1:$port/callback.php?|" \
        | xargs -P "$CLIENTS" -n 1 "$here/soak/fetch.sh" >"$dir/fpm.out" &
    local load=$!

    # Warm-up: the first tenth. Then the database restarts at half way, under load.
    local warm=$((CALLBACKS / 10)) half=$((CALLBACKS / 2)) rss_warm="" restarted=""
    while kill -0 "$load" 2>/dev/null; do
        local done_now
        done_now=$(lines "$dir/fpm.out")
        if [ -z "$rss_warm" ] && [ "$done_now" -ge "$warm" ]; then rss_warm=$(rss_of_workers); fi
        if [ -z "$restarted" ] && [ "$done_now" -ge "$half" ]; then
            local port_var=DARGAH_PG_PORT
            [ "$name" = mysql ] && port_var=DARGAH_MYSQL_PORT
            env "$port_var=$(port_of "$url")" "$repo/scripts/db.sh" restart "$name" >"$dir/restart.log" 2>&1
            restarted="after $done_now callbacks"
        fi
        sleep 0.2
    done
    wait "$load" || true
    wait "$long" || true
    local rss_end seconds
    rss_end=$(rss_of_workers)
    seconds=$(($(date +%s) - t0))

    # A claim stored just as the database went down (its answer lost with the
    # connection) holds its lease: the shop's cron job finishes it after that.
    local recovered=0
    if [ "$("${cli[@]}" -n -d "extension=$so" "$here/soak/check.php" "$www/config.php" "$dir/ids")" != "$CALLBACKS" ]; then
        sleep 11
        "${cli[@]}" -n -d "extension=$so" "$here/soak/recover.php" "$www/config.php" >"$dir/recovered"
        recovered=$(lines "$dir/recovered")
    fi

    # ---- what the callbacks answered ----
    local codes newly per_payment paid retried bad_codes
    codes=$(cut -d' ' -f1 "$dir/fpm.out" | sort | uniq -c | awk '{print $2 "x" $1}' | paste -sd' ')
    bad_codes=$(cut -d' ' -f1 "$dir/fpm.out" | grep -vc '^200$' || true)
    retried=$(awk '$2 > 1' "$dir/fpm.out" | wc -l)
    cut -d' ' -f3- "$dir/fpm.out" >"$dir/answers"
    cat "$dir/long.out" >>"$dir/answers"
    [ -f "$dir/recovered" ] && cat "$dir/recovered" >>"$dir/answers"
    newly=$(grep -c '^newly_paid ' "$dir/answers" || true)
    per_payment=$(grep '^newly_paid ' "$dir/answers" | cut -d' ' -f2 | sort | uniq -d | wc -l || true)
    paid=$("${cli[@]}" -n -d "extension=$so" "$here/soak/check.php" "$www/config.php" "$dir/ids") || paid="(check.php failed)"
    local kinds
    kinds=$(cut -d' ' -f1 "$dir/answers" | sort | uniq -c | awk '{print $2 "x" $1}' | paste -sd' ')

    local line="$name: $CALLBACKS payments, $((CALLBACKS * 2)) callbacks in ${seconds}s ($WORKERS workers, $CLIENTS php-fpm clients + 1 long-lived client); restart $restarted; HTTP $codes ($retried answered 503 first); answers $kinds; $recovered finished by recover() after the lease"
    if [ "$bad_codes" = 0 ] && [ "$retried" = 0 ] && [ "$(lines "$dir/long.out")" = "$CALLBACKS" ] && [ "$newly" = "$CALLBACKS" ] && [ "$per_payment" = 0 ] && [ "$paid" = "$CALLBACKS" ]; then
        pass "$line; one newly_paid per payment, $paid paid in the store"
    else
        fail "$line; $newly newly_paid ($per_payment payments twice), $paid of $CALLBACKS paid in the store"
        grep -v '^200 1 ' "$dir/fpm.out" | head -5 || true
        grep '^error' "$dir/long.out" | head -5 || true
        grep 'dargah: ' "$dir/php-fpm.log" | head -5 || true
    fi

    # ---- the workers ----
    local crashes
    crashes=$(grep -cE 'exited on signal|zend_mm_heap|Fatal error|segfault' "$dir/php-fpm.log" || true)
    if [ "$crashes" = 0 ]; then
        pass "$name: no worker exited on a signal, no zend_mm_heap, no fatal error (php-fpm log)"
    else
        fail "$name: the php-fpm log shows $crashes crash(es)"
        grep -E 'exited on signal|zend_mm_heap|Fatal error|segfault' "$dir/php-fpm.log" | head -5 || true
    fi
    if [ "$mode" = asan ]; then
        local reports
        reports=$(cat "$dir"/asan.* 2>/dev/null | grep -c 'ERROR: AddressSanitizer' || true)
        if [ "$reports" = 0 ] && [ "$asan_workers" = "$WORKERS" ]; then
            pass "$name: AddressSanitizer (in $asan_workers of $WORKERS php-fpm workers) saw no memory error in the extension (USE_ZEND_ALLOC=0, opcache.protect_memory=1)"
        else
            fail "$name: AddressSanitizer reported $reports memory error(s), and ran in $asan_workers of $WORKERS workers"
            cat "$dir"/asan.* | grep -A30 'ERROR: AddressSanitizer' | head -60
        fi
    elif [ "$mode" = memcheck ]; then
        local errors
        errors=$(cat "$dir"/valgrind.*.log | grep -cE 'Invalid (read|write|free)|uninitialised|Mismatched free|Bad permissions|Process terminating' || true)
        if [ "$errors" = 0 ]; then
            pass "$name: valgrind saw no memory error in $(ls "$dir"/valgrind.*.log | wc -l) php-fpm processes (USE_ZEND_ALLOC=0, opcache.protect_memory=1)"
        else
            fail "$name: valgrind saw $errors memory error(s)"
            grep -hE -A12 'Invalid (read|write|free)|uninitialised|Mismatched free|Bad permissions|Process terminating' "$dir"/valgrind.*.log | head -60
        fi
    else
        local growth
        growth=$(php -n -r '$w = array_map("intval", explode(" ", $argv[1])); $e = array_map("intval", explode(" ", $argv[2]));
            $g = []; foreach ($e as $i => $kb) { $g[] = $kb - ($w[$i] ?? $kb); } echo max($g);' "$rss_warm" "$rss_end")
        line="$name: worker RSS (KiB) after warm-up [$rss_warm], at the end [$rss_end]; largest growth $growth KiB"
        if [ "$growth" -le "$RSS_GROWTH_KB" ]; then pass "$line"; else fail "$line (more than $RSS_GROWTH_KB)"; fi
    fi
    if [ "$opcache" = "opcache on, config.php cached" ]; then pass "$name: $opcache"; else fail "$name: opcache: $opcache"; fi
    stop_started
}

soak_store postgres "$DARGAH_TEST_POSTGRES_URL"
soak_store mysql "$DARGAH_TEST_MYSQL_URL"
summary "php-$mode"
