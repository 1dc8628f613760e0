PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CHROMIUM := /usr/bin/chromium
PGDATA := .data/postgres

.PHONY: run test lint format screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start the dashboard on the embedded database, with demo data on first start.
run: $(STAMP)
	$(BIN)/progress-ops demo-data --if-empty
	$(BIN)/streamlit run dashboard/app.py

## Every check: lint, format, types, then the whole test suite (the browser tests need Chromium).
test: lint
	@test -x $(CHROMIUM) || { \
	    echo "make test: the browser tests need Debian's Chromium; install it with"; \
	    echo "    sudo apt-get install chromium chromium-driver"; \
	    echo "or run every other test with: $(BIN)/pytest --ignore=tests/e2e"; \
	    exit 2; }
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## A PNG of every dashboard page on demo data, into docs/screenshots/ (needs Debian's chromium).
screenshots: $(STAMP)
	$(BIN)/python -m scripts.screenshots

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Stop the embedded PostgreSQL (never delete the data of a running server), then remove everything.
clean:
	@if [ -x $(BIN)/progress-ops ]; then \
	    PROGRESS_OPS_DATA_DIR=$(PGDATA) $(BIN)/progress-ops db stop; \
	elif [ -f $(PGDATA)/postmaster.pid ]; then \
	    pid=$$(head -1 $(PGDATA)/postmaster.pid); \
	    if kill -INT $$pid 2>/dev/null; then \
	        echo "Stopping the embedded PostgreSQL (pid $$pid)"; \
	        while kill -0 $$pid 2>/dev/null; do sleep 0.2; done; \
	    fi; \
	fi
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
