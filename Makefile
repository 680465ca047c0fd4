# KetaWatch: `make demo` and `make test` work on a fresh machine (Python 3.11+ with venv).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: demo test lint format bench bench-large install-check clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## Set up, then run the whole job offline on built-in sample data and serve the web page.
## `make demo DEMO_ARGS=--no-serve` stops after the digest.
demo: $(STAMP)
	$(BIN)/ketawatch demo $(DEMO_ARGS)

## Set up, then lint and run the whole test suite.
test: $(STAMP) lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .

## Benchmarks (not tests): 10k studies by default; `make bench-large` runs 100k.
bench: $(STAMP)
	$(BIN)/python -m bench --size 10000

bench-large: $(STAMP)
	$(BIN)/python -m bench --size 100000

## A non-editable install into a fresh virtual environment, then the demo from another folder.
install-check:
	bash .ci/install-check

clean:
	rm -rf $(VENV) ketawatch-demo ketawatch-data build *.egg-info
