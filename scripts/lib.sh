# Shared by the install scripts: `source scripts/lib.sh`.

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
