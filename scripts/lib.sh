# Shared by the install and server scripts: `source scripts/lib.sh`.

# Install the Debian packages among "$@" that are not installed yet
# (apt-get update only when something is missing). Root or sudo.
apt_install_missing() {
    local need=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
    done
    ((${#need[@]})) || return 0
    local sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    echo "installing: ${need[*]}"
    $sudo apt-get update -qq
    # Package scripts may try to start system services; ours run from build/ instead.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
}

# apt_install_missing "$@", leaving stopped the services among "$SERVICES" (a
# space-separated list) that installing them started: the tests run their own
# php-fpm and nginx from build/, on ports of their own.
apt_install_missing_services_stopped() {
    local services=$1 service
    shift
    local fresh=()
    for service in $services; do
        dpkg -s "$service" >/dev/null 2>&1 || fresh+=("$service")
    done
    apt_install_missing "$@"
    for service in "${fresh[@]}"; do
        dpkg -s "$service" >/dev/null 2>&1 || continue
        if command -v service >/dev/null; then
            service "$service" stop >/dev/null 2>&1 || sudo service "$service" stop >/dev/null 2>&1 || true
        fi
    done
}

# The newest PostgreSQL's programs (Debian's /usr/lib/postgresql/<version>/bin).
pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1; }

# PostgreSQL (and PgBouncer) refuse to run as root: run them as the postgres system user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
