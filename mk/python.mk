# The Python wheel (python/) and the example shops (examples/django/, examples/fastapi/).
#
#   make python-wheel       build the abi3 wheel with `maturin build` into build/python/dist
#                           (dargah.django's .po files compiled to .mo first)
#   make python-test        install it into a fresh venv (build/python/venv) and run
#                           pytest against the sandbox on the installed wheel (dargah.aio,
#                           dargah.testing and its pytest plugin included)
#   make django-test        the Django shop on dargah.django: Django's runner, headless Chromium
#                           (its own fa translation compiled first)
#   make fastapi-test       the FastAPI shop on dargah.aio: pytest, uvicorn, headless Chromium
#   make python-typecheck   mypy --strict on the package and the examples
#   make python-import-cost `import dargah` time and the extension's size, with and
#                           without the test kit (release builds; not part of make test)
#   make python-pip-check   `pip install ./python` into a fresh venv, as a user would
#
# deps-python (scripts/install-deps-python.sh) puts maturin into build/python/tools
# and the test packages into build/python/wheelhouse; the venv is filled from there.

PYTHON ?= python3
PY_BUILD := build/python
PY_VENV := $(PY_BUILD)/venv
PY_DIST := $(PY_BUILD)/dist

.PHONY: deps-python python-wheel python-venv python-test django-test fastapi-test python-typecheck python-pip-check python-import-cost

deps-python:
	./scripts/install-deps-python.sh

# The test wheel uses the dev profile: it shares target/debug with `cargo test`,
# so only the extension itself is compiled here.
# dargah.django's translations are compiled into the package first (msgfmt;
# the .mo files are build outputs, ignored by git, carried by the wheel).
PY_LOCALES := $(wildcard python/python/dargah/django/locale/*/LC_MESSAGES/django.po)
# The example shop's own pages, compiled the same way before its tests.
SHOP_LOCALES := $(wildcard examples/django/orders/locale/*/LC_MESSAGES/django.po)
# Each .po given to the .mo beside it.
compile_po = for po in $(1); do msgfmt --check -o "$${po%.po}.mo" "$$po" || exit 1; done

python-wheel: deps-python
	rm -rf $(PY_DIST)
	$(call compile_po,$(PY_LOCALES))
	cd python && ../$(PY_BUILD)/tools/bin/maturin build --quiet --out ../$(PY_DIST)

# A fresh venv for every run: the wheel and the test packages, nothing from the source tree.
python-venv: python-wheel
	$(PYTHON) -m venv --clear $(PY_VENV)
	$(PY_VENV)/bin/pip install -q --no-index --find-links $(PY_BUILD)/wheelhouse \
		-r python/requirements-test.txt -r examples/django/requirements.txt -r examples/fastapi/requirements.txt \
		$(PY_DIST)/dargah-*.whl

python-test: python-venv
	cd python && DARGAH_WHEEL="$$(ls ../$(PY_DIST)/dargah-*.whl)" ../$(PY_VENV)/bin/pytest

# The shops' tests start the sandbox inside the wheel (dargah.testing): no Rust binary needed.
django-test: python-venv
	$(call compile_po,$(SHOP_LOCALES))
	cd examples/django && ../../$(PY_VENV)/bin/python manage.py test --noinput

fastapi-test: python-venv
	cd examples/fastapi && ../../$(PY_VENV)/bin/pytest

python-typecheck: python-venv
	$(PY_VENV)/bin/mypy --strict --cache-dir $(PY_BUILD)/mypy-cache/package python/python/dargah
	$(PY_VENV)/bin/mypy --strict --cache-dir $(PY_BUILD)/mypy-cache/examples python/examples
	$(PY_VENV)/bin/mypy --strict --cache-dir $(PY_BUILD)/mypy-cache/bench python/bench
	cd examples/django && ../../$(PY_VENV)/bin/mypy .
	cd examples/fastapi && ../../$(PY_VENV)/bin/mypy .

# What a user runs, with build isolation (maturin from PyPI) and the release profile.
python-pip-check:
	$(PYTHON) -m venv --clear $(PY_BUILD)/venv-pip
	$(PY_BUILD)/venv-pip/bin/pip install -q ./python
	cd $(PY_BUILD) && venv-pip/bin/python -c 'import dargah; print("pip install ./python: dargah", dargah.__version__, "from", dargah.__file__)'

python-import-cost: deps-python
	./python/bench/import_cost.sh

TEST_TARGETS += python-test django-test fastapi-test python-typecheck python-pip-check
DEPS_TARGETS += deps-python
