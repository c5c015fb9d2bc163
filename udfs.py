"""xlspv's Excel functions: thin xlwings adapters over the core (``xlspv/``).

Each function converts what Excel passes, calls the core once and maps its errors; the waterfall
itself lives only in :mod:`xlspv.waterfall`. The same decorators serve every runtime:

- the classic add-in (Windows): ``UDF Modules`` = ``udfs``, then Import Functions;
- xlwings Server and xlwings Lite (Office.js): import this module's functions (``__all__``).

Inputs, as Excel passes them: ``values`` and ``dates`` are one column or one row each (the shape is
fixed to 2-D by the ``@xw.arg`` decorators), dates are Excel date serials or datetimes, and blank
cells at the end of an over-long range are ignored (a blank inside the data is an error).
``terms`` is one number (the deemed rate) or a name/value range, with a third column holding the
effective dates of a dated rate schedule. ``SPV_RATE_GRID``'s ``rates`` is one column or one row of
deemed rates, computed in one call of the core's batch path (:func:`xlspv.waterfall_batch`).

Errors (``docs/excel.md``): every unusable input raises :class:`ExcelInputError`, an
``xlwings.XlwingsError`` whose message starts with the Excel error code and names the argument and
the fix; Office.js runtimes show it as ``#VALUE!`` carrying that message. The classic add-in's VBA
wrapper would show a Python traceback for a raised error, so there the message is returned as the
cell's text instead. "#N/A" (threshold not reached) and "#NUM!" (no IRR) are returned as strings,
which Office.js runtimes >= 1.4 turn into real error values. No result holds NaN or infinity.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import importlib.util
import itertools
import math
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import xlwings as xw

import xlspv
from xlspv.cells import NUMBER_TYPES, excel_error, is_blank
from xlspv.dates import to_date, to_datetime64
from xlspv.errors import SpvError
from xlspv.inputs import prepare, trim_trailing_blanks
from xlspv.terms import GRID_COLUMNS, as_terms, parse_rate
from xlspv.waterfall import waterfall_batch

__all__ = ["SPV_IRR", "SPV_PAYOUT", "SPV_RATE_GRID", "SPV_VERSION", "SPV_WATERFALL", "THRESHOLD_DATE"]
__all__ += ["SPV_RISK"]  # issue 17

#: The classic add-in's decorators live in ``xlwings.udfs``; Office.js runtimes use ``xlwings.server``.
CLASSIC_ADDIN = getattr(xw.func, "__module__", "") == "xlwings.udfs"

#: xlwings versions whose Office.js argument conversion calls ``xlwings.utils.is_jsnull`` once per cell,
#: which tries ``from pyodide.ffi import JsNull`` each time: on CPython a failed search of sys.path per
#: cell (some 60 us; 31-39 ms for 480 rows). ``tests/test_udfs.py`` pins this list to the installed
#: xlwings, so an upgrade fails a test until the probe is checked again.
PYODIDE_PROBE_XLWINGS = ("0.37.8",)
_PYODIDE_MODULES = ("pyodide", "pyodide.ffi")


def _skip_pyodide_probe() -> bool:
    """Off Pyodide, mark ``pyodide`` as absent so xlwings's per-cell probe fails at once.

    ``sys.modules["pyodide"] = None`` is Python's own "this module does not exist" marker: the import
    raises ``ModuleNotFoundError`` without searching sys.path, and xlwings catches it exactly as before
    (the cell is not Pyodide's JsNull). Done only on the Office.js path, only for the xlwings versions
    measured, and never where Pyodide is present. Returns whether the marker was set.
    """
    if not getattr(xw, "on_server", False) or sys.platform == "emscripten":
        return False  # classic add-in, plain import, or Pyodide itself: no probe to skip
    if xw.__version__ not in PYODIDE_PROBE_XLWINGS:
        return False
    if "pyodide" in sys.modules or importlib.util.find_spec("pyodide") is not None:
        return False
    # Both names: xlwings imports ``pyodide.ffi``, which Python looks up by its full name first; with
    # only the parent marked it would still take the import lock and load the parent on every cell.
    for name in _PYODIDE_MODULES:
        sys.modules[name] = None  # type: ignore[assignment]
    return True


PYODIDE_PROBE_SKIPPED = _skip_pyodide_probe()

PAYOUT_PARTIES = ("japan", "us", "partner")
IRR_PARTIES = (*PAYOUT_PARTIES, "project")
NOT_AVAILABLE = "#N/A"
NO_NUMBER = "#NUM!"

_VALUES_DOC = (
    "The SPV's cash flows, one column or one row: negative = a Japan funding, positive = cash "
    "distributed. Blank cells at the end are ignored."
)
_DATES_DOC = "The date of each value (same number of cells as values), in any order."
_TERMS_DOC = (
    "The deemed rate (e.g. 0.055) or a name/value range of terms, e.g. deemed_rate | 0.055; "
    "a third column gives the effective date of each rate of a dated schedule."
)

_RATES_DOC = (
    "The deemed rates to compare, one column or one row, e.g. 0.035 to 0.075; each replaces the terms' "
    "deemed rate (a dated schedule too). Blank cells at the end are ignored."
)


class ExcelInputError(xw.XlwingsError):
    """An input Excel passed cannot be used; the message starts with the Excel error code."""


def _shown_as_text_on_classic(func: Callable[..., Any]) -> Callable[..., Any]:
    """On the classic add-in, return an input error's message as the cell's text.

    The classic VBA wrapper puts a raised error's description, a Python traceback, into the cell;
    the Office.js runtimes need the raise to show ``#VALUE!`` with the message.
    """
    if not CLASSIC_ADDIN:
        return func

    @functools.wraps(func)
    def call(*args: Any) -> Any:
        try:
            return func(*args)
        except ExcelInputError as error:
            return str(error)

    return call


@contextlib.contextmanager
def _core_errors_as_value_errors() -> Iterator[None]:
    """Re-raise the core's input errors (whose messages name the argument) as ``#VALUE!``."""
    try:
        yield
    except SpvError as error:
        raise ExcelInputError(f"#VALUE! {error}") from error


def _cells(rng: Any, name: str) -> list[Any]:
    """The cells of a one-column or one-row range (a 2-D list), in order."""
    if rng is None:
        return []
    rows = len(rng)
    cols = max(map(len, rng), default=0)  # map and chain: C loops, this runs on every call
    if rows > 1 and cols > 1:
        raise ExcelInputError(
            f"#VALUE! {name}: the range has {rows} rows and {cols} columns; select one column or one row."
        )
    return list(itertools.chain.from_iterable(rng))


def _data_length(cells: list[Any]) -> int:
    """Number of cells up to the last non-blank one."""
    return len(trim_trailing_blanks(cells, [])[0])


def _flows(values: Any, dates: Any) -> tuple[list[Any], list[Any]]:
    """Values and dates as equally long lists, trailing blank cells of over-long ranges dropped."""
    vals, days = _cells(values, "values"), _cells(dates, "dates")
    n_vals, n_days = _data_length(vals), _data_length(days)
    if len(vals) < n_days or len(days) < n_vals:
        raise ExcelInputError(
            f"#VALUE! values has {n_vals} cells but dates has {n_days}; give one date per value "
            "(ranges of the same size)."
        )
    return trim_trailing_blanks(vals[: max(n_vals, n_days)], days[: max(n_vals, n_days)])


def _terms(terms: Any) -> xlspv.Terms:
    """Terms from one number (the deemed rate) or a name/value range."""
    rows = [list(row) for row in terms or []]
    while rows and all(cell is None for cell in rows[-1]):  # an over-long range's empty rows
        rows.pop()
    if not rows:
        raise ExcelInputError(
            "#VALUE! terms: blank; enter the deemed rate (e.g. 0.055) or select a name/value range."
        )
    if len(rows) == 1 and len(rows[0]) == 1:
        rate = rows[0][0]
        if isinstance(rate, bool):
            return as_terms(rate)  # refused, naming the argument
        # typed in a cell: the one rate rule (0.055 or "5.5%"; a bare 5 is refused, not 500%)
        return xlspv.Terms(deemed_rate=parse_rate(rate, "deemed_rate", cell=True))
    if max(len(row) for row in rows) == 1:
        raise ExcelInputError(
            f"#VALUE! terms: a one-column range of {len(rows)} cells; enter one number (the deemed "
            "rate) or select a two-column name/value range."
        )
    return as_terms(rows)  # name/value rows


def _waterfall(values: Any, dates: Any, terms: Any) -> xlspv.Waterfall:
    """The one place inputs are prepared: converted, checked, and handed to the core (once per inputs)."""
    vals, days = _flows(values, dates)
    key = _memo_key(vals, days, terms)
    found = _MEMO.get(key)
    if found is not None:
        return found
    with _core_errors_as_value_errors():
        computed = xlspv.compute(vals, days, _terms(terms))
    _MEMO.put(key, computed)
    return computed


class _Memo:
    """The last few computed waterfalls, keyed on their inputs (least recently used dropped first).

    A Results sheet calls SPV_WATERFALL, THRESHOLD_DATE and SPV_IRR per party over the same ranges; the
    core's waterfall is pure, so each recalculation computes it once and the other calls reuse it.
    Bounded by entries and by cells, so a whole-column reference cannot pile up memory. Errors are
    never stored: a bad input is checked again on every call.
    """

    def __init__(self, entries: int, cells: int) -> None:
        self.entries, self.cells = entries, cells
        self._items: collections.OrderedDict[Any, xlspv.Waterfall] = collections.OrderedDict()
        self._lock = threading.Lock()  # xlwings Server may run calls in worker threads

    def get(self, key: Any) -> xlspv.Waterfall | None:
        if key is None:
            return None
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Any, waterfall: xlspv.Waterfall) -> None:
        if key is None:
            return
        with self._lock:
            self._items[key] = waterfall
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


#: Up to 16 input sets of up to 200,000 cells each (values + dates + terms) are remembered.
_MEMO = _Memo(entries=16, cells=200_000)


def _memo_key(vals: list[Any], days: list[Any], terms: Any) -> Any:
    """The inputs as a hashable key, each cell with its type (1, 1.0 and TRUE differ); None if unusable."""
    rows = [list(row) for row in terms] if isinstance(terms, (list, tuple)) else [[terms]]
    if len(vals) + len(days) + sum(len(row) for row in rows) > _MEMO.cells:
        return None
    try:
        key = (_typed(vals), _typed(days), tuple(_typed(row) for row in rows))
        hash(key)
    except TypeError:  # a cell type that cannot be hashed: compute without the memo
        return None
    return key


def _typed(cells: list[Any]) -> tuple[tuple[type, Any], ...]:
    """Each cell with its type (1, 1.0 and TRUE differ), built by zip and map rather than a Python loop."""
    return tuple(zip(map(type, cells), cells, strict=True))


def _party(party: Any, allowed: tuple[str, ...]) -> str:
    key = party.strip().lower() if isinstance(party, str) else None
    if key not in allowed:
        names = ", ".join("US" if p == "us" else p.capitalize() for p in allowed)
        if party is None or key == "":
            raise ExcelInputError(f"#VALUE! party: blank; enter one of {names}.")
        raise ExcelInputError(f"#VALUE! party: {party!r} is not a party; use one of {names}.")
    return key


def _number(x: float) -> float | str:
    """A finite float, or ``#NUM!`` (NaN or infinity must never reach Excel)."""
    x = float(x)
    return x if math.isfinite(x) else NO_NUMBER


@xw.func(cache=True)
@xw.arg("values", ndim=2, err_to_str=True, doc=_VALUES_DOC)
@xw.arg("dates", ndim=2, err_to_str=True, doc=_DATES_DOC)
@xw.arg("party", doc='"Japan", "US" or "Partner" (not case-sensitive).')
@xw.arg("terms", ndim=2, err_to_str=True, doc=_TERMS_DOC)
@_shown_as_text_on_classic
def SPV_PAYOUT(values, dates, party, terms):
    """Payout to one party for each cash-flow row of the SPV waterfall, as a column."""
    return _payouts(_party(party, PAYOUT_PARTIES), _waterfall(values, dates, terms))


def _payouts(party: str, waterfall: xlspv.Waterfall) -> list[list[float | str]]:
    return [[_number(x)] for x in getattr(waterfall, party)]


@xw.func(cache=True)
@xw.arg("values", ndim=2, err_to_str=True, doc=_VALUES_DOC)
@xw.arg("dates", ndim=2, err_to_str=True, doc=_DATES_DOC)
@xw.arg("party", doc='"Japan", "US", "Partner" or "Project" (not case-sensitive).')
@xw.arg("terms", ndim=2, err_to_str=True, doc=_TERMS_DOC)
@xw.arg("guess", doc="Optional: the IRR search's starting rate, default 0.1.")
@_shown_as_text_on_classic
def SPV_IRR(values, dates, party, terms, guess=0.1):
    """A party's XIRR over its SPV cash flows, as Excel's XIRR; #NUM! where none exists."""
    return _irr(_party(party, IRR_PARTIES), _waterfall(values, dates, terms), guess)


def _irr(party: str, waterfall: xlspv.Waterfall, guess: Any) -> float | str:
    with _core_errors_as_value_errors():
        rate = waterfall.xirr(party, 0.1 if guess is None else guess)
    return NO_NUMBER if rate is None else _number(rate)


@xw.func(cache=True)
@xw.arg("values", ndim=2, err_to_str=True, doc=_VALUES_DOC)
@xw.arg("dates", ndim=2, err_to_str=True, doc=_DATES_DOC)
@xw.arg("terms", ndim=2, err_to_str=True, doc=_TERMS_DOC)
@_shown_as_text_on_classic
def THRESHOLD_DATE(values, dates, terms):
    """Date Japan's deemed allocation is recovered for good; #N/A if not reached or nothing funded."""
    return _waterfall(values, dates, terms).threshold_date or NOT_AVAILABLE


@xw.func(cache=True)
@xw.arg("values", ndim=2, err_to_str=True, doc=_VALUES_DOC)
@xw.arg("dates", ndim=2, err_to_str=True, doc=_DATES_DOC)
@xw.arg("terms", ndim=2, err_to_str=True, doc=_TERMS_DOC)
@xw.arg("header", doc="Optional: TRUE shows a header row with the column names, default TRUE.")
@_shown_as_text_on_classic
def SPV_WATERFALL(values, dates, terms, header=True):
    """Waterfall table per cash-flow row: date, value, interest, japan, us, partner, balance, tier."""
    return _table(_header(header), _waterfall(values, dates, terms))


def _header(header: Any) -> bool:
    if header is None:
        return True
    if isinstance(header, bool):
        return header
    if isinstance(header, (int, float)) and header in (0, 1):
        return bool(header)
    raise ExcelInputError(f"#VALUE! header: {header!r} is not TRUE or FALSE; enter TRUE or FALSE.")


def _table(header: bool, waterfall: xlspv.Waterfall) -> list[list[Any]]:
    """The core's table as Excel rows: dates as dates, numbers finite, tiers as text."""
    table = waterfall.table()
    numbers = [col for col in table.columns if col not in ("date", "tier")]
    columns = {col: [_number(x) for x in table[col].tolist()] for col in numbers}
    columns["date"] = list(table["date"].dt.date)
    columns["tier"] = [str(tier) for tier in table["tier"]]
    rows = [[columns[col][i] for col in table.columns] for i in range(len(table))]
    return [list(table.columns), *rows] if header else rows


@xw.func(cache=True)
@xw.arg("values", ndim=2, err_to_str=True, doc=_VALUES_DOC)
@xw.arg("dates", ndim=2, err_to_str=True, doc=_DATES_DOC)
@xw.arg("terms", ndim=2, err_to_str=True, doc=_TERMS_DOC)
@xw.arg("rates", ndim=2, err_to_str=True, doc=_RATES_DOC)
@xw.arg("header", doc="Optional: TRUE shows a header row with the column names, default TRUE.")
@_shown_as_text_on_classic
def SPV_RATE_GRID(values, dates, terms, rates, header=True):
    """Deemed-rate grid, one row per rate: rate, Japan XIRR, threshold date, Japan received, unrecovered."""
    show_header, grid = _header(header), _rates(rates)
    return _grid(show_header, grid, _rate_batch(values, dates, terms, grid))


def _rates(rates: Any) -> np.ndarray:
    """The deemed rates of a one-column or one-row range, trailing blank cells dropped."""
    cells = _cells(rates, "rates")
    cells = cells[: _data_length(cells)]
    if not cells:
        raise ExcelInputError(
            "#VALUE! rates: blank; enter the deemed rates to compare (e.g. 0.035 to 0.075) in one column "
            "or one row."
        )
    grid = []
    for row, cell in enumerate(cells, start=1):
        if is_blank(cell):
            raise ExcelInputError(
                f"#VALUE! rates row {row}: the cell is blank inside the rates; enter a rate or remove it."
            )
        typed = isinstance(cell, str) and excel_error(cell) is None
        if not typed and (isinstance(cell, (bool, np.bool_)) or not isinstance(cell, NUMBER_TYPES)):
            raise ExcelInputError(
                f"#VALUE! rates row {row}: {cell!r} is not a number; enter a rate, e.g. 0.055."
            )
        # typed in a cell: the one rate rule (0.055 or "5.5%"; a bare 5 is refused, not 500%)
        with _core_errors_as_value_errors():
            grid.append(parse_rate(cell, f"rates row {row}", cell=True))
    return np.array(grid, dtype=np.float64)


def _rate_batch(values: Any, dates: Any, terms: Any, rates: np.ndarray) -> xlspv.Batch:
    """A scenario per rate, in one call of the core's batch path (which computes the cumulative reading).

    The scheduled reading is refused rather than looped over here: the adapter calls the core once.
    """
    vals, days = _flows(values, dates)
    with _core_errors_as_value_errors():
        spv_terms = _terms(terms)
        if spv_terms.allocation_basis != "cumulative":
            raise ExcelInputError(
                "#VALUE! allocation_basis: SPV_RATE_GRID computes the cumulative reading only; set "
                "allocation_basis to cumulative, or use SPV_IRR and THRESHOLD_DATE per rate."
            )
        flows = prepare(vals, days)
        return waterfall_batch(flows.values, to_datetime64(flows.days), spv_terms, deemed_rates=rates)


def _grid(header: bool, rates: np.ndarray, batch: xlspv.Batch) -> list[list[Any]]:
    """A row per rate: "#NUM!" where Japan has no XIRR, "#N/A" where the threshold is not reached."""
    xirr, received = batch.xirr("japan"), batch.japan.sum(axis=1)
    rows = [
        [_number(rate), _number(irr), _threshold(day), _number(got), _number(left)]
        for rate, irr, day, got, left in zip(
            rates, xirr, batch.threshold_days, received, batch.unrecovered, strict=True
        )
    ]
    return [list(GRID_COLUMNS), *rows] if header else rows


def _threshold(day: int) -> Any:
    """A threshold ordinal as a date; -1 (not reached, or nothing funded) as "#N/A"."""
    return to_date(day) if day >= 0 else NOT_AVAILABLE


@xw.func
@_shown_as_text_on_classic
def SPV_VERSION():
    """The version of xlspv computing these functions, e.g. 0.1.0."""
    return xlspv.__version__


# ---- SPV_RISK (issue 17): the risk figures as a name/value spill ------------------------------------

#: Scenarios SPV_RISK runs at most: a recalculation should take about a second, not minutes.
RISK_SCENARIO_CAP = 100_000


@xw.func
@xw.arg("values", ndim=2, err_to_str=True, doc=_VALUES_DOC)
@xw.arg("dates", ndim=2, err_to_str=True, doc=_DATES_DOC)
@xw.arg("terms", ndim=2, err_to_str=True, doc=_TERMS_DOC)
@xw.arg("scenarios", doc="Optional: scenarios, 1 to 100,000 (default 10,000).")
@xw.arg("seed", doc="Optional: a whole number >= 0 (default 0); the same seed gives the same figures.")
@xw.arg(
    "model",
    ndim=2,
    err_to_str=True,
    doc=(
        "Optional: a name/value range of risk-model parameters (rate_vol, rate_reversion, rate_mean, "
        "rate_start, cash_vol, delay_months, stop_hazard, correlation)."
    ),
)
@_shown_as_text_on_classic
def SPV_RISK(values, dates, terms, scenarios=None, seed=None, model=None):
    """Monte Carlo risk figures (name/value rows): recovery probability, threshold and unrecovered quantiles, XIRR. At most 100,000 scenarios."""  # noqa: E501 (Excel shows it as one line)
    return _risk_rows(values, dates, terms, scenarios, seed, model)


def _risk_rows(values: Any, dates: Any, terms: Any, scenarios: Any, seed: Any, model: Any) -> list[list[Any]]:
    from xlspv.risk import FIGURES, RiskModel, check_scenarios, simulate

    vals, days = _flows(values, dates)
    with _core_errors_as_value_errors():
        n = check_scenarios(10_000 if scenarios is None else scenarios, RISK_SCENARIO_CAP)
        chosen = RiskModel() if model is None else RiskModel.from_mapping([list(r) for r in model])
        result = simulate(
            vals, days, _terms(terms), model=chosen, scenarios=n, seed=0 if seed is None else seed
        )
    figures = result.figures
    return [[name, _risk_value(figures[name], kind)] for name, kind in FIGURES]


def _risk_value(value: Any, kind: str) -> Any:
    if value is None:
        return NOT_AVAILABLE
    if kind == "count":
        return int(value)
    return value if kind == "date" else _number(value)
