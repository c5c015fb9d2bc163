# The README's two commands. Each creates or reuses .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP := $(VENV)/.installed-app
TEST := $(VENV)/.installed-test
OOXML := $(VENV)/ooxml/.installed
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(APP): pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $(APP)

$(TEST): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[test]'
	touch $(APP) $(TEST)

# Microsoft's Open XML SDK validator for tests/test_ooxml.py: its own venv, wheels pinned by sha256.
$(OOXML): tools/ooxml-requirements.txt | $(BIN)/python
	$(BIN)/python tools/ooxml_validate.py --install $(VENV)/ooxml

demo: $(APP)
	$(BIN)/xlspv report --force -o out/xlspv_report.xlsx

test: $(TEST) $(OOXML)
	@bash tools/ensure_libreoffice.sh || true
	$(BIN)/python -m pytest -n auto -q

lint: $(TEST)
	$(BIN)/ruff check xlspv tests udfs.py benchmarks
	$(BIN)/ruff format --check xlspv tests udfs.py benchmarks
	$(BIN)/mypy xlspv udfs.py

bench: $(TEST)
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_portfolio.py
	$(BIN)/python benchmarks/bench_udfs.py
	$(BIN)/python benchmarks/bench_readers.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
