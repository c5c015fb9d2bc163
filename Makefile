# The README's two commands. Each creates or reuses .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP := $(VENV)/.installed-app
TEST := $(VENV)/.installed-test
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(APP): pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $(APP)

$(TEST): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[test,server]'
	touch $(APP) $(TEST)

demo: $(APP)
	$(BIN)/xlspv report --force -o out/xlspv_report.xlsx

test: $(TEST)
	@bash tools/ensure_libreoffice.sh || true
	$(BIN)/python -m pytest -n auto -q

lint: $(TEST)
	$(BIN)/ruff check xlspv tests udfs.py benchmarks

bench: $(TEST)
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_portfolio.py
	$(BIN)/python benchmarks/bench_udfs.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
