PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
UV     := $(BIN)/uv
UV_VERSION := 0.13.9

.PHONY: demo test test-fast lint bench clean

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Exactly the versions in uv.lock (refused if the lock no longer matches pyproject.toml), with
# pp installed editable; --inexact keeps pip and uv, which the lock does not list.
$(STAMP): pyproject.toml uv.lock $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked --extra dev --inexact --quiet --python $(BIN)/python
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pp demo

# Test modules run whole on one of the workers (loadscope): a module's server starts once.
# Three workers on two cores: the flow tests spend most of their time waiting on Prefect.
PYTEST := $(BIN)/pytest -q -n $(or $(PYTEST_WORKERS),3) --dist loadscope

test: $(STAMP) lint
	$(PYTEST)

test-fast: $(STAMP)              # the inner loop: the pure tests, no Prefect server, no processes
	$(PYTEST) -m "not slow and not flow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/deadlines.py
	$(BIN)/python bench/ingest.py --rows 200000 --existing 200000
	$(BIN)/python bench/sweep.py --leads 1000000

clean:                           # the environment only: data/ holds the warehouse and what users saved
	rm -rf $(VENV)
