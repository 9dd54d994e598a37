# Dargah — two commands on a fresh Debian machine:
#   make demo   build and run `dargah demo` (sandbox + SQLite, nothing to set up)
#   make test   install what is missing, then run every test

CARGO ?= cargo

.PHONY: demo test deps build lint sandbox clean

demo:
	$(CARGO) run --quiet -p dargah-cli -- demo

deps:
	./scripts/install-deps.sh

build:
	$(CARGO) build --workspace --all-targets

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test: deps build lint
	$(CARGO) test --workspace --no-fail-fast
	$(CARGO) run --quiet -p dargah-cli -- demo

sandbox:
	$(CARGO) run --quiet -p dargah-cli -- sandbox --port 8700

clean:
	$(CARGO) clean
