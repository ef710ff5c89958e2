PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pp demo

test: $(STAMP) lint
	$(BIN)/pytest -q

test-fast: $(STAMP)              # the inner loop: everything but the tests that start servers and processes
	$(BIN)/pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/deadlines.py
	$(BIN)/python bench/ingest.py --rows 200000 --existing 200000
	$(BIN)/python bench/sweep.py --leads 1000000

clean:                           # the environment only: data/ holds the warehouse and what users saved
	rm -rf $(VENV)
