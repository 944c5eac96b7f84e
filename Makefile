# dtt-living-review: two commands on a fresh machine: `make book`, `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install validate book versions serve test test-fast lint crosscheck bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)  ## Create .venv from requirements.txt (only when needed)

validate: $(STAMP)  ## Check data/ and report every problem as file:row:column
	$(PY) -m analysis validate data

book: $(STAMP)  ## Validate data, build the book, publish it atomically to book/_build/html
	$(PY) scripts/build_book.py

versions: book  ## Build each release not yet built from its git tag into v/X.Y.Z/, publish all
	$(PY) scripts/build_versions.py

serve: book  ## Preview the built site on http://localhost:8000
	$(PY) -m http.server --directory book/_build/html 8000

test: $(STAMP)  ## Run every test, including the full book build
	$(PY) -m pytest

test-fast: $(STAMP)  ## Run the fast tests only (no book build, no R)
	$(PY) -m pytest -m "not slow"

lint: $(STAMP)  ## ruff check + ruff format --check + import-linter contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

crosscheck: $(STAMP)  ## Compare the engine with live R metafor on fresh random cases
	bash scripts/crosscheck.sh

bench: $(STAMP)  ## Time the book build and the pooling engine
	$(PY) bench/build.py
	$(PY) bench/engine.py

clean:  ## Remove build outputs and built releases (keeps .venv)
	rm -rf book/_build .pytest_cache .hypothesis test-artifacts
