PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

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

## Every check: lint, format, types, then the whole test suite.
test: lint
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

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
