#!/usr/bin/env bash
# Runs as root inside the clean Debian 12 root that tests/packages/run.sh
# made: installs the built packages with apt (Debian's own dependencies come
# from the mirror) and uses each as a user would, against the sandbox that
# the installed `dargah` serves on loopback. Nothing of the build tree is
# here: /tmp/dargah/packages holds the .deb files and the wheel,
# /tmp/dargah/test this script, roundtrip.py and a copy of examples/php-shop.
set -uo pipefail

pkgs=/tmp/dargah/packages test=/tmp/dargah/test work=/tmp/dargah/work
want=$WORKSPACE_VERSION
mkdir -p "$work"
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { # description command...: pass if the command succeeds
    local what=$1; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
pids=()
stop_all() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap stop_all EXIT

# ---- apt install ./…deb: Debian's dependencies (php8.2-cli …) from the mirror ----
echo "== apt install ./*.deb"
apt-get update -qq >"$work/apt-update.log" 2>&1 || { cat "$work/apt-update.log"; exit 1; }
# php8.2-sqlite3: the example shop keeps its orders in SQLite (PDO), a need of the shop's, not of php8.2-dargah.
if apt-get install -y -q --no-install-recommends "$pkgs"/*.deb php8.2-sqlite3 >"$work/apt-install.log" 2>&1; then
    pass "apt install $(cd "$pkgs" && ls *.deb | tr '\n' ' ')"
else
    fail "apt install"; tail -n 40 "$work/apt-install.log"; echo "packages: $passed passed, $failed failed"; exit 1
fi
check "apt pulled Debian's php8.2-cli and php8.2-common for php8.2-dargah" \
    sh -c 'dpkg -s php8.2-cli php8.2-common >/dev/null 2>&1'
for p in libdargah0 libdargah-dev dargah php8.2-dargah; do
    v=$(dpkg-query -W -f '${Version}' "$p")
    check "package $p $v is version $want" test "${v%-*}" = "$want"
done
lib_version=$(dpkg-query -W -f '${Version}' libdargah0)
check "libdargah-dev depends on libdargah0 (= $lib_version), the one it was built with" \
    sh -c "dpkg-query -W -f '\${Depends}' libdargah-dev | grep -qF 'libdargah0 (= $lib_version)'"
check "libdargah0's shlibs file: programs linked against libdargah.so.0 depend on libdargah0 (>= $want)" \
    grep -qx "libdargah 0 libdargah0 (>= $want)" /var/lib/dpkg/info/libdargah0:amd64.shlibs

# ---- the sandbox, served by the installed dargah on a loopback port ----
dargah sandbox --port 0 >/dev/null 2>"$work/sandbox.log" &
pids+=($!)
url=
for _ in $(seq 200); do
    url=$(sed -n 's/^dargah sandbox listening on \(http:[^ ]*\).*/\1/p' "$work/sandbox.log")
    [ -n "$url" ] && grep -q '^}' "$work/sandbox.log" && break
    sleep 0.1
done
[ -n "$url" ] || { cat "$work/sandbox.log"; echo "the sandbox did not start"; exit 1; }
sed -n '/^client configuration for it:/,/^}/p' "$work/sandbox.log" | tail -n +2 >"$work/sandbox-config.json"
echo "sandbox at $url (dargah sandbox from the dargah package)"

verify_calls() { # gateway token → the gateway's verify calls for that token
    local op=$1.verify; [ "$1" = atipay ] && op=atipay.verify-payment
    curl -sf "$url/_control/stats" | jq -r --arg t "$2" --arg op "$op" '.by_token[$t][$op] // 0'
}
customer() { # gateway token: pay on the sandbox, then make the browser's callback
    local answer method cb_url form
    answer=$(curl -sf -X POST "$url/_control/pay" -H 'content-type: application/json' \
        -d "{\"gateway\":\"$1\",\"token\":\"$2\",\"action\":\"pay\",\"card\":\"6037991234567890\"}") || return 1
    method=$(jq -r .method <<<"$answer") cb_url=$(jq -r .url <<<"$answer")
    form=$(jq -r '.form | to_entries | map("\(.key|@uri)=\(.value|@uri)") | join("&")' <<<"$answer")
    if [ "$method" = POST ]; then curl -sf -D "$work/callback-headers" -X POST --data "$form" "$cb_url"; else curl -sf -D "$work/callback-headers" "$cb_url"; fi
}

# ---- C: libdargah-dev's example, built with pkg-config, run against the sandbox ----
echo "== C (libdargah0, libdargah-dev)"
check "pkg-config --modversion dargah is $want" test "$(pkg-config --modversion dargah)" = "$want"
check "ldconfig knows libdargah.so.0" sh -c 'ldconfig -p | grep -q "libdargah.so.0 .*=> .*/x86_64-linux-gnu/libdargah.so.0$"'
example=/usr/share/doc/libdargah-dev/examples/shop.c
mkdir -p "$work/c"
check "cc shop.c \$(pkg-config --cflags --libs dargah)" \
    sh -c "cc -std=c11 -Wall -Wextra -Werror -o $work/c/shop $example \$(pkg-config --cflags --libs dargah)"
check "... and statically: libdargah.a with pkg-config --static --libs" \
    sh -c "cc -std=c11 -Wall -Wextra -Werror -o $work/c/shop-static $example \$(pkg-config --cflags dargah) \
        -Wl,--as-needed /usr/lib/x86_64-linux-gnu/libdargah.a \$(pkg-config --static --libs dargah)"
run_example() { # binary gateway
    local log=$work/c/example-$2.log token page pid ok
    (cd "$work/c" && exec "$1" "$url" "$2") >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q '^token ' "$log" && break; sleep 0.1; done
    token=$(sed -n 's/^token //p' "$log") page=$(sed -n 's/^pay at //p' "$log")
    [ -n "$token" ] && curl -sf "$page" | grep -q '<!doctype html>' && customer "$2" "$token" | grep -q 'Thank you' \
        && wait "$pid" && grep -q '^outcome newly_paid' "$log" && [ "$(verify_calls "$2" "$token")" = 1 ]
    ok=$?
    kill "$pid" 2>/dev/null; sed 's/^/    /' "$log"
    return $ok
}
check "the C example (shared libdargah): a CanPay payment paid, credited once, one verify" run_example "$work/c/shop" canpay
check "the static example needs no libdargah.so" sh -c "! readelf -d $work/c/shop-static | grep -q libdargah"
check "the static example: an AtiPay payment (POST redirect) paid, credited once, one verify" \
    run_example "$work/c/shop-static" atipay
c_version=$(sed -n 's/^libdargah \([^ ]*\) (header \([^)]*\))$/\1 \2/p' "$work/c/example-canpay.log")

# ---- PHP: php8.2-dargah enabled by its postinst, the example shop against the sandbox ----
echo "== PHP (php8.2-dargah)"
check "php -m lists dargah (enabled with phpenmod by the package)" sh -c 'php -m | grep -qx dargah'
check "/etc/php/8.2/cli/conf.d/20-dargah.ini links to mods-available/dargah.ini" \
    test "$(readlink /etc/php/8.2/cli/conf.d/20-dargah.ini)" = /etc/php/8.2/mods-available/dargah.ini
php_version=$(php -r 'echo phpversion("dargah");')
shop=$test/php-shop data=$work/shop
mkdir -p "$data"
php -r '$c = json_decode(file_get_contents($argv[1]), true); $c["store"] = "sqlite://" . $argv[2] . "/dargah.db";
    file_put_contents($argv[3], json_encode($c, JSON_UNESCAPED_SLASHES));' "$work/sandbox-config.json" "$data" "$work/shop-config.json"
port=$(php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo parse_url("tcp://" . stream_socket_get_name($s, false), PHP_URL_PORT);')
DARGAH_CONFIG=$work/shop-config.json SHOP_DATA=$data SHOP_URL=http://127.0.0.1:$port \
    php -S "127.0.0.1:$port" -t "$shop/public" >"$work/php-server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
shop_flow() {
    local jar=$work/shop-cookies csrf location token order_url
    csrf=$(curl -sf -c "$jar" "http://127.0.0.1:$port/" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')
    [ -n "$csrf" ] || { echo "    no csrf token on the shop's page"; return 1; }
    location=$(curl -sf -b "$jar" -o /dev/null -w '%{redirect_url}' \
        --data "csrf=$csrf&item=book&gateway=canpay&mobile=09123456789" "http://127.0.0.1:$port/checkout.php")
    token=${location##*/}
    [[ $location == "$url/canpay/ipg/"* ]] && [ -n "$token" ] || { echo "    checkout sent the customer to '$location'"; return 1; }
    curl -sf "$location" | grep -q '<!doctype html>' || { echo "    no payment page"; return 1; }
    customer canpay "$token" >/dev/null || { echo "    the callback failed"; return 1; }
    order_url=$(sed -n 's/^[Ll]ocation: *\([^[:space:]]*\).*/\1/p' "$work/callback-headers")
    [ -n "$order_url" ] || { echo "    the callback did not send the customer to the order"; return 1; }
    [[ $order_url == http* ]] || order_url=http://127.0.0.1:$port$order_url
    curl -sf "$order_url" | grep -q 'data-status="paid"' || { echo "    the order is not paid"; return 1; }
    # The same callback again (a reload): no second credit, no second verify.
    customer canpay "$token" >/dev/null 2>&1
    [ "$(verify_calls canpay "$token")" = 1 ] || { echo "    $(verify_calls canpay "$token") verify calls"; return 1; }
    [ "$(php -r '$db = new PDO("sqlite:" . $argv[1] . "/shop.db"); echo $db->query("SELECT COUNT(*) FROM credits")->fetchColumn();' "$data")" = 1 ] \
        || { echo "    not exactly one credit"; return 1; }
    # The cron job runs and finds nothing left to credit.
    local fulfil
    fulfil=$(DARGAH_CONFIG=$work/shop-config.json SHOP_DATA=$data php "$shop/bin/fulfil.php" 2>&1) \
        || { echo "    bin/fulfil.php failed: $fulfil"; return 1; }
    [ -z "$fulfil" ] || { echo "    bin/fulfil.php: $fulfil"; return 1; }
}
check "the php-shop flow: checkout, CanPay's page, POST callback, order paid, one credit, one verify" shop_flow \
    || tail -n 20 "$work/php-server.log"

# ---- Python: the wheel in a fresh venv ----
echo "== Python (the wheel)"
python3 -m venv "$work/venv" && "$work/venv/bin/pip" install -q --no-index "$pkgs"/dargah-*.whl >"$work/pip.log" 2>&1 \
    && pass "pip install $(cd "$pkgs" && ls dargah-*.whl) into a fresh venv" || { fail "pip install the wheel"; cat "$work/pip.log"; }
py_version=$(cd / && "$work/venv/bin/python" -c 'import dargah; print(dargah.__version__)')
check "import dargah (dargah.__version__ = $py_version)" test -n "$py_version"
mkdir -p "$work/py"
check "a CanPay payment through the wheel: paid once, one verify" \
    sh -c "cd / && $work/venv/bin/python $test/roundtrip.py $url $work/sandbox-config.json $work/py >/dev/null"

# ---- dargah: the command and its systemd units ----
echo "== dargah and dargah-reconcile.timer"
cli_version=$(dargah --version | sed -n 's/^dargah //p')
units=/lib/systemd/system
[ -f $units/dargah-reconcile.timer ] || units=/usr/lib/systemd/system
check "dargah-reconcile.service and .timer installed in $units" test -f $units/dargah-reconcile.service -a -f $units/dargah-reconcile.timer
check "the service runs dargah reconcile --config /etc/dargah/dargah.toml" \
    grep -qx 'ExecStart=/usr/bin/dargah reconcile --config /etc/dargah/dargah.toml' $units/dargah-reconcile.service
check "the timer fires every minute" grep -qx 'OnCalendar=minutely' $units/dargah-reconcile.timer
check "systemd-analyze verify accepts both units" \
    sh -c "systemd-analyze verify $units/dargah-reconcile.service $units/dargah-reconcile.timer >$work/analyze.log 2>&1 || { cat $work/analyze.log; exit 1; }"
check "shipped disabled: systemctl is-enabled dargah-reconcile.timer = disabled" \
    test "$(systemctl is-enabled dargah-reconcile.timer 2>/dev/null)" = disabled
# As docs/packages.md says: write /etc/dargah/dargah.toml, then enable the timer.
mkdir -p /etc/dargah /var/lib/dargah-test && chown www-data:www-data /var/lib/dargah-test
python3 - "$work/sandbox-config.json" <<'PY' >/etc/dargah/dargah.toml
import json, sys
config = json.load(open(sys.argv[1]))
print('store = "sqlite:///var/lib/dargah-test/dargah.db"')
for section, values in config.items():
    if isinstance(values, dict):
        print(f"[{section}]")
        for key, value in values.items():
            print(f"{key} = {json.dumps(value)}")
PY
chown root:www-data /etc/dargah/dargah.toml && chmod 640 /etc/dargah/dargah.toml
check "the service's command, as its user www-data: one reconcile pass" \
    sh -c "runuser -u www-data -- /usr/bin/dargah reconcile --config /etc/dargah/dargah.toml | grep -q '^reconcile: '"
check "systemctl enable dargah-reconcile.timer (enabled; disabled again)" sh -c \
    'systemctl enable dargah-reconcile.timer >/dev/null 2>&1 && [ "$(systemctl is-enabled dargah-reconcile.timer)" = enabled ] \
     && systemctl disable dargah-reconcile.timer >/dev/null 2>&1 && [ "$(systemctl is-enabled dargah-reconcile.timer)" = disabled ]'

# ---- one version ----
echo "== versions"
echo "   workspace $want; dargah --version $cli_version; dargah_version() and DARGAH_VERSION ${c_version:-?};" \
    "phpversion('dargah') $php_version; dargah.__version__ $py_version"
check "dargah --version, dargah_version(), DARGAH_VERSION, phpversion('dargah') and dargah.__version__ are all $want" \
    test "$cli_version|$c_version|$php_version|$py_version" = "$want|$want $want|$want|$want"

# ---- removal: the extension is disabled again ----
echo "== apt remove"
apt-get remove -y -q php8.2-dargah >"$work/apt-remove.log" 2>&1
check "apt remove php8.2-dargah disables it (phpdismod): php -m no longer lists dargah" \
    sh -c '! php -m | grep -qx dargah && [ ! -e /etc/php/8.2/cli/conf.d/20-dargah.ini ]'

echo "packages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
