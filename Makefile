# The README's two commands. Each creates or reuses .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP := $(VENV)/.installed-app
TEST := $(VENV)/.installed-test
OOXML := $(VENV)/ooxml/.installed
LITE := .venv-lite
LITE_ENV := $(LITE)/.installed
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lint bench clean lite-lane

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(APP): pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $(APP)

$(TEST): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[test,server]'
	touch $(APP) $(TEST)

# Microsoft's Open XML SDK validator for tests/test_ooxml.py: its own venv, wheels pinned by sha256.
$(OOXML): tools/ooxml-requirements.txt | $(BIN)/python
	$(BIN)/python tools/ooxml_validate.py --install $(VENV)/ooxml

demo: $(APP)
	$(BIN)/xlspv report --force -o out/xlspv_report.xlsx

# The whole suite: lint first (CI runs `make test`), then pytest, then the Lite lane.
test: $(TEST) $(OOXML) $(LITE_ENV)
	$(MAKE) --no-print-directory lint
	@bash tools/ensure_libreoffice.sh || true
	$(BIN)/python -m pytest -n auto -q
	$(MAKE) --no-print-directory lite-lane

# The xlwings Lite lane: the closest to Pyodide that runs offline. A second environment with no numba
# and the numpy and pandas versions Pyodide 0.27 ships (xlwings Lite's runtime), running the core, udfs
# and workbook tests (two slow batch/property tests left to the main run). Every package below is one of
# pyproject's dependencies or test extras except numba (tests/test_lite_lane.py keeps the lists equal).
LITE_NUMPY ?= 2.0.2
LITE_PANDAS ?= 2.2.3
LITE_PACKAGES := numpy==$(LITE_NUMPY) pandas==$(LITE_PANDAS) numpy-financial openpyxl defusedxml xlwings click \
	pytest pytest-xdist hypothesis formulas XlsxWriter pyxirr
LITE_TESTS := tests/test_waterfall.py tests/test_xirr.py tests/test_fallback.py tests/test_udfs.py \
	tests/test_runtimes.py tests/test_template.py tests/test_lite_lane.py \
	--deselect tests/test_waterfall.py::test_large_batch_equals_single_path_row_by_row \
	--deselect tests/test_xirr.py::test_xirr_is_a_root_or_none_only_when_npv_never_changes_sign
LITE_TESTS += tests/test_xirr_lists.py  # the list path's packed kernel runs as plain Python there

$(LITE_ENV): pyproject.toml Makefile
	$(PYTHON) -m venv $(LITE)
	$(LITE)/bin/python -m pip install --quiet --disable-pip-version-check $(LITE_PACKAGES)
	$(LITE)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(LITE_ENV)

lite-lane: $(LITE_ENV)
	XLSPV_LITE_LANE=1 LITE_NUMPY=$(LITE_NUMPY) LITE_PANDAS=$(LITE_PANDAS) \
		$(LITE)/bin/python -m pytest -n 2 -q -p no:cacheprovider $(LITE_TESTS)

lint: $(TEST)
	$(BIN)/ruff check xlspv tests udfs.py benchmarks tools
	$(BIN)/ruff format --check xlspv tests udfs.py benchmarks tools
	$(BIN)/mypy xlspv udfs.py

bench: $(TEST)
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_portfolio.py
	$(BIN)/python benchmarks/bench_command.py
	$(BIN)/python benchmarks/bench_udfs.py
	$(BIN)/python benchmarks/bench_readers.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_portfolio_write.py
	$(BIN)/python benchmarks/bench_verify.py
	$(BIN)/python benchmarks/bench_risk.py

clean:
	rm -rf $(VENV) $(LITE) out .pytest_cache .hypothesis
