#!/usr/bin/env bash
# What the Python wheel's and the Django example's tests need, and nothing
# that is there already. Safe to run again. Never touches the system Python:
# maturin goes into a venv under build/python/tools, and the test packages are
# downloaded as wheels into build/python/wheelhouse, from which `make
# python-test` fills a fresh venv without the network.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
BUILD=build/python

# gettext: msgfmt compiles dargah.django's translations into the wheel.
packages=(chromium chromium-driver gettext)
# A Debian python3 needs python3-venv for venvs with pip; pyenv's has it built in.
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv)
apt_install_missing "${packages[@]}"

requirements=(python/requirements-build.txt python/requirements-test.txt examples/django/requirements.txt examples/fastapi/requirements.txt)
stamp=$BUILD/deps.sha256
wanted=$("$PYTHON" --version 2>&1; sha256sum "${requirements[@]}")
if [ -x "$BUILD/tools/bin/maturin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    exit 0
fi

echo "installing maturin into $BUILD/tools and the test packages into $BUILD/wheelhouse"
mkdir -p "$BUILD"
"$PYTHON" -m venv --clear "$BUILD/tools"
"$BUILD/tools/bin/python" -m pip install -q --upgrade pip
"$BUILD/tools/bin/pip" install -q -r python/requirements-build.txt
rm -rf "$BUILD/wheelhouse"
"$BUILD/tools/bin/pip" download -q --only-binary=:all: -d "$BUILD/wheelhouse" \
    -r python/requirements-test.txt -r examples/django/requirements.txt -r examples/fastapi/requirements.txt
echo "$wanted" >"$stamp"
