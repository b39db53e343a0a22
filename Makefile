# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: demo test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

demo: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[demo]"
	$(BIN)/tunelab demo

test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@# The browser tests (tests/ui) drive Debian's chromium; in CI they must run, so install it.
	@if [ "$$CI" = "true" ] && [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; \
	fi
	$(BIN)/ruff check tunelab tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy tunelab
	$(BIN)/python -m pytest

typecheck: $(BIN)/python
	$(BIN)/mypy tunelab

bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) build *.egg-info
