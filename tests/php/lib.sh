# Shared by the PHP test scripts (sourced): the sandbox on a free loopback
# port, cleanup of every process a script starts, and pass/fail counting.

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
summary() { # name
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# Every process started through `started PID` is stopped on exit, also on
# failure or Ctrl-C: first TERM, then KILL for what is left after 5 s.
# `started -PID` stands for the process group PID leads (started with setsid),
# for servers that start processes of their own (chromedriver's Chromium).
started_pids=()
started() { started_pids+=("$1"); }
stop_started() {
    local pid
    for pid in "${started_pids[@]}"; do kill -- "$pid" 2>/dev/null || true; done
    for _ in $(seq 50); do
        local alive=0
        for pid in "${started_pids[@]}"; do kill -0 -- "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${started_pids[@]}"; do kill -9 -- "$pid" 2>/dev/null || true; wait "${pid#-}" 2>/dev/null || true; done
    started_pids=()
}
trap stop_started EXIT
trap 'exit 130' INT TERM

# start_sandbox DARGAH_BIN DIR: serve the sandbox on 127.0.0.1 (a free port);
# sets SANDBOX_URL, and writes the client configuration it prints to
# DIR/sandbox-config.json (SANDBOX_CONFIG).
start_sandbox() {
    local bin=$1 dir=$2 log="$2/sandbox.log"
    mkdir -p "$dir"
    "$bin" sandbox --port 0 >/dev/null 2>"$log" &
    local pid=$!
    started "$pid"
    SANDBOX_URL=
    for _ in $(seq 200); do
        SANDBOX_URL=$(sed -n 's/^dargah sandbox listening on \(http:[^ ]*\).*/\1/p' "$log")
        [ -n "$SANDBOX_URL" ] && grep -q '^}' "$log" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$SANDBOX_URL" ] || ! grep -q '^}' "$log"; then
        echo "the sandbox did not start:" >&2
        cat "$log" >&2
        return 1
    fi
    SANDBOX_CONFIG="$dir/sandbox-config.json"
    sed -n '/^client configuration for it:/,/^}/p' "$log" | tail -n +2 >"$SANDBOX_CONFIG"
    export DARGAH_SANDBOX_URL=$SANDBOX_URL DARGAH_SANDBOX_CONFIG=$SANDBOX_CONFIG
    echo "sandbox at $SANDBOX_URL"
}

free_port() {
    php -n -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo parse_url("tcp://" . stream_socket_get_name($s, false), PHP_URL_PORT);'
}

# start_fpm DIR WORKERS ENV... -- PHP_OPTIONS...: php-fpm in the foreground, the
# extensions loaded by its master (-d), no php.ini, listening on DIR/php-fpm.sock;
# sets FPM_MASTER. ENV are NAME=VALUE pairs passed to the workers.
# FPM_PHP_INI="" loads Debian's php.ini and conf.d (opcache on) instead of -n;
# FPM_WRAPPER runs the master (and so its workers) under a tool, e.g. valgrind.
start_fpm() {
    local dir=$1 workers=$2 fpm=${PHP_FPM:-$(command -v php-fpm8.2 || echo /usr/sbin/php-fpm8.2)}
    shift 2
    local env_lines="" user_lines="" root_flag=""
    while [ "$1" != -- ]; do env_lines+="env[${1%%=*}] = ${1#*=}"$'\n'; shift; done
    shift
    if [ "$(id -u)" = 0 ]; then # workers run as whoever runs the tests
        user_lines=$'user = root\ngroup = root'
        root_flag="-R"
    fi
    cat >"$dir/php-fpm.conf" <<CONF
[global]
pid = $dir/php-fpm.pid
error_log = $dir/php-fpm.log
daemonize = no

[www]
$user_lines
listen = $dir/php-fpm.sock
pm = static
pm.max_children = $workers
catch_workers_output = yes
$env_lines
CONF
    ${FPM_WRAPPER:-} "$fpm" ${FPM_PHP_INI--n} -F $root_flag "$@" -y "$dir/php-fpm.conf" &
    FPM_MASTER=$!
    started "$FPM_MASTER"
    for _ in $(seq "${FPM_START_TRIES:-100}"); do
        [ -S "$dir/php-fpm.sock" ] && [ "$(pgrep -c -P "$FPM_MASTER")" = "$workers" ] && return 0
        sleep 0.1
    done
    cat "$dir/php-fpm.log" >&2
    echo "php-fpm did not start" >&2
    return 1
}

# start_nginx DIR PORT URL WHAT SERVER_BODY: nginx on 127.0.0.1:PORT in front of
# DIR/php-fpm.sock, with SERVER_BODY (root, locations) inside its server block;
# waits until URL answers, naming WHAT if it never does.
start_nginx() {
    local dir=$1 port=$2 url=$3 what=$4 body=$5 user_line=""
    [ "$(id -u)" = 0 ] && user_line="user root;"
    mkdir -p "$dir/tmp"
    cat >"$dir/nginx.conf" <<CONF
$user_line
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log;
events { worker_connections 64; }
http {
    access_log $dir/nginx-access.log;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        server_name localhost;
$body
    }
}
CONF
    nginx -e "$dir/nginx-error.log" -p "$dir" -c "$dir/nginx.conf" &
    started $!
    for _ in $(seq 50); do curl -sf -o /dev/null "$url/" && break; sleep 0.1; done
    curl -sf -o /dev/null "$url/" || { cat "$dir/nginx-error.log" "$dir/php-fpm.log" >&2; echo "$what does not answer" >&2; exit 1; }
}
