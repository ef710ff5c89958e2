PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
UV     := $(BIN)/uv
UV_VERSION := 0.13.9

.PHONY: demo test test-fast lint bench clean chromium report-screenshot

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Exactly the versions in uv.lock (refused if the lock no longer matches pyproject.toml), with
# pp installed editable; --inexact keeps pip and uv, which the lock does not list. Bytecode is
# compiled here, the project's own with it: where PYTHONDONTWRITEBYTECODE is set, every command
# would otherwise compile its libraries again before it starts (three times slower for `pp lead`).
PACKAGES := adapters demo flows schemas tasks warehouse
$(STAMP): pyproject.toml uv.lock $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked --extra dev --inexact --quiet --compile-bytecode --python $(BIN)/python
	$(BIN)/python -m compileall -q $(PACKAGES)
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pp demo

# Test modules run whole on one of the workers (loadscope): a module's server starts once.
# Three workers on two cores: the flow tests spend much of their time waiting on processes.
PYTEST := $(BIN)/pytest -q -n $(or $(PYTEST_WORKERS),3) --dist loadscope

test: $(STAMP) chromium lint
	$(PYTEST)

test-fast: $(STAMP)              # the inner loop: the pure tests, no Prefect server, no processes
	$(PYTEST) -m "not slow and not flow"

# The report's browser test drives Debian's Chromium (Playwright's own download needs a CDN):
# installed with apt-get when missing, which needs root; otherwise this step says so and fails.
chromium:
	@test -x /usr/bin/chromium || { \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	    else echo "make: /usr/bin/chromium is missing; as root: apt-get install chromium" >&2; exit 1; fi; }

# docs/report.png: the top of the report of a demo at a fixed date, as Chromium shows it at 1400 px.
SCREENSHOT_DEMO := data/demo-screenshot
report-screenshot: $(STAMP) chromium
	$(BIN)/pp demo --dir $(SCREENSHOT_DEMO) --rows 200 --as-of 2026-03-06T16:30:00+03:00 > /dev/null
	$(BIN)/python -m demo.screenshot $(SCREENSHOT_DEMO)/report.html docs/report.png

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/deadlines.py
	$(BIN)/python bench/ingest.py --rows 200000 --existing 200000
	$(BIN)/python bench/sweep.py --leads 1000000
	$(BIN)/python bench/activity.py
	$(BIN)/python bench/latency.py --repeat 3
	$(BIN)/python bench/lake.py --rows 5000

clean:                           # the environment only: data/ holds the warehouse and what users saved
	rm -rf $(VENV)
