#!/usr/bin/env bash
# The extension under a real php-fpm (Debian's php8.2-fpm): 4 static workers
# forked by a master that loaded the extension at startup, driven over
# FastCGI with cgi-fcgi (libfcgi-bin) on a Unix socket under build/php/fpm,
# against a sandbox on loopback.
#
#   1. The master loaded dargah.so before forking, and never starts a thread
#      or opens a connection of its own.
#   2. 50 concurrent requests deliver the same Vandar callback, and 50 the same
#      CanPay callback (a POST): exactly one answer says "newly paid", and the
#      sandbox sees one verify for each payment.
#   3. 40 requests, one gateway call each: every worker reuses one connection
#      to the gateway (the same local port request after request).
#
#   tests/php/run-fpm.sh DARGAH_BIN DARGAH_SO          (make php-fpm-test)
set -euo pipefail

dargah=$1 so=$2
here=$(cd "$(dirname "$0")" && pwd)
dir=$(cd "$here/../.." && pwd)/build/php/fpm
WORKERS=4 CONCURRENT=50 SEQUENTIAL=40
source "$here/lib.sh"

rm -rf "$dir" && mkdir -p "$dir/out"
start_sandbox "$dargah" "$dir"
export DARGAH_FPM_STORE=$dir/shop.db

# ---- php-fpm: the master loads the extension (-d), then forks its workers ----
start_fpm "$dir" "$WORKERS" "DARGAH_SANDBOX_CONFIG=$SANDBOX_CONFIG" "DARGAH_FPM_STORE=$DARGAH_FPM_STORE" -- -d "extension=$so"
master=$FPM_MASTER
workers() { pgrep -P "$master" | sort -n; }
echo "php-fpm master $master, workers $(workers | paste -sd' ')"

# request METHOD QUERY [BODY]: one FastCGI request to app.php; prints the body.
request() {
    local method=$1 query=$2 body=${3:-}
    env -i SCRIPT_FILENAME="$here/fpm/app.php" SCRIPT_NAME=/app.php REQUEST_METHOD="$method" \
        QUERY_STRING="$query" SERVER_NAME=localhost SERVER_PROTOCOL=HTTP/1.1 REMOTE_ADDR=127.0.0.1 \
        CONTENT_TYPE=application/x-www-form-urlencoded CONTENT_LENGTH=${#body} \
        cgi-fcgi -bind -connect "$dir/php-fpm.sock" <<<"$body" | sed '1,/^\r\?$/d'
}
json() { php -n -r 'echo json_decode(stream_get_contents(STDIN), true)[$argv[1]] ?? "", "\n";' "$1"; }

# ---- 1. loaded by the master, which stays idle ----
maps=$(grep -c -e '/dargah.so' -e 'libdargah.so' "/proc/$master/maps" || true)
if [ "$maps" -ge 2 ] && [ "$(json error <<<"$(request GET action=balance)")" = "" ]; then
    pass "the master mapped dargah.so and libdargah.so before forking; a worker answers"
else
    fail "dargah.so loaded by the master"
fi

# pay GATEWAY: a paid payment; sets TOKEN, CB_METHOD, CB_QUERY, CB_BODY (the browser's callback).
pay() {
    local gateway=$1 created answer
    created=$(request GET "action=checkout&gateway=$gateway&order=fpm-$gateway-$RANDOM$RANDOM")
    TOKEN=$(json token <<<"$created")
    answer=$(curl -sf -X POST "$SANDBOX_URL/_control/pay" -H 'content-type: application/json' \
        -d "{\"gateway\":\"$gateway\",\"token\":\"$TOKEN\",\"action\":\"pay\",\"card\":\"6037991234567890\"}")
    CB_METHOD=$(json method <<<"$answer")
    CB_QUERY=$(php -n -r 'echo parse_url(json_decode(stream_get_contents(STDIN), true)["url"], PHP_URL_QUERY);' <<<"$answer")
    CB_BODY=$(php -n -r 'echo http_build_query(json_decode(stream_get_contents(STDIN), true)["form"] ?? []);' <<<"$answer")
}
verifies() { # gateway token: the sandbox's verify count for the payment
    curl -sf "$SANDBOX_URL/_control/stats" | php -n -r '
        $s = json_decode(stream_get_contents(STDIN), true);
        $e = ["vandar" => "vandar.verify", "canpay" => "canpay.verify"][$argv[1]];
        echo $s["by_token"][$argv[2]][$e] ?? 0;' "$1" "$2"
}

# ---- 2. the same callback, 50 times at once ----
figures=()
for gateway in vandar canpay; do
    pay "$gateway"
    rm -f "$dir"/out/cb-*
    clients=()
    for i in $(seq "$CONCURRENT"); do
        request "$CB_METHOD" "$CB_QUERY" "$CB_BODY" >"$dir/out/cb-$i" &
        clients+=($!)
    done
    for pid in "${clients[@]}"; do wait "$pid" || true; done
    kinds=$(cat "$dir"/out/cb-* | php -n -r '
        $k = []; $pids = [];
        while (($line = fgets(STDIN)) !== false) { $a = json_decode($line, true); $k[] = $a["kind"] ?? ($a["error"] ?? "?"); $pids[$a["pid"] ?? 0] = 1; }
        $c = array_count_values($k); ksort($c);
        echo json_encode($c), " from ", count($pids), " workers";')
    newly=$(cat "$dir"/out/cb-* | grep -c '"kind":"newly_paid"' || true)
    answered=$(cat "$dir"/out/cb-* | grep -c '"kind":"' || true)
    verify=$(verifies "$gateway" "$TOKEN")
    line="$gateway ($CB_METHOD callback): $CONCURRENT concurrent requests, $answered answered, $newly newly paid, $verify verify; $kinds"
    figures+=("$line")
    if [ "$newly" = 1 ] && [ "$verify" = 1 ] && [ "$answered" = "$CONCURRENT" ]; then pass "$line"; else fail "$line"; fi
done

# ---- 3. connection reuse: the same local port, request after request, in each worker ----
rm -f "$dir"/out/seq-*
before=$(curl -sf "$SANDBOX_URL/_control/stats" | php -n -r 'echo json_decode(stream_get_contents(STDIN), true)["calls"]["mupra.balance"] ?? 0;')
for i in $(seq "$SEQUENTIAL"); do request GET action=balance >"$dir/out/seq-$i"; done
after=$(curl -sf "$SANDBOX_URL/_control/stats" | php -n -r 'echo json_decode(stream_get_contents(STDIN), true)["calls"]["mupra.balance"] ?? 0;')
reuse=$(cat "$dir"/out/seq-* | php -n -r '
    $by = [];
    while (($line = fgets(STDIN)) !== false) {
        $a = json_decode($line, true);
        foreach ($a["connections"] as $port) { $by[$a["pid"]][$port] = ($by[$a["pid"]][$port] ?? 0) + 1; }
        $requests[$a["pid"]] = ($requests[$a["pid"]] ?? 0) + 1;
    }
    $ports = array_sum(array_map("count", $by));
    $parts = [];
    foreach ($by as $pid => $p) { $parts[] = "worker $pid: " . $requests[$pid] . " requests on " . count($p) . " connection(s) (port " . implode(",", array_keys($p)) . ")"; }
    echo $ports, "|", count($by), "|", implode("; ", $parts);')
ports=${reuse%%|*} rest=${reuse#*|} used_workers=${rest%%|*} detail=${rest#*|}
line="connection reuse: $SEQUENTIAL requests, $((after - before)) gateway calls, $ports connection(s) over $used_workers worker(s): $detail"
figures+=("$line")
if [ "$((after - before))" = "$SEQUENTIAL" ] && [ "$ports" = "$used_workers" ] && [ "$ports" -le "$WORKERS" ]; then pass "$line"; else fail "$line"; fi

# ---- 1 again: after all that, the master has still one thread and no connection ----
master_threads=$(ls "/proc/$master/task" | wc -l)
io_threads() { cat /proc/"$1"/task/*/comm 2>/dev/null | grep -c '^dargah-io' || true; }
master_io=$(io_threads "$master")
worker_io=0
for w in $(workers); do worker_io=$((worker_io + $(io_threads "$w"))); done
line="the master kept $master_threads thread and $master_io dargah-io threads; its $WORKERS workers run $worker_io dargah-io threads"
figures+=("$line")
if [ "$master_threads" = 1 ] && [ "$master_io" = 0 ] && [ "$worker_io" -gt 0 ]; then pass "$line"; else fail "$line"; fi

printf '%s\n' "${figures[@]}" >"$dir/figures.txt"
if grep -qiE 'segfault|SIGSEGV|SIGABRT|exited on signal' "$dir/php-fpm.log"; then
    fail "php-fpm log shows a crashed worker"
    cat "$dir/php-fpm.log"
fi
summary php-fpm-test
