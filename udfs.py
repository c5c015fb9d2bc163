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

import contextlib
import functools
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import xlwings as xw

import xlspv
from xlspv.dates import to_date, to_datetime64
from xlspv.errors import SpvError
from xlspv.inputs import prepare, trim_trailing_blanks
from xlspv.waterfall import as_terms, waterfall_batch

__all__ = ["SPV_IRR", "SPV_PAYOUT", "SPV_RATE_GRID", "SPV_VERSION", "SPV_WATERFALL", "THRESHOLD_DATE"]
__all__ += ["SPV_RISK"]  # issue 17

#: The classic add-in's decorators live in ``xlwings.udfs``; Office.js runtimes use ``xlwings.server``.
CLASSIC_ADDIN = getattr(xw.func, "__module__", "") == "xlwings.udfs"

PAYOUT_PARTIES = ("japan", "us", "partner")
IRR_PARTIES = (*PAYOUT_PARTIES, "project")
NOT_AVAILABLE = "#N/A"
NO_NUMBER = "#NUM!"
#: SPV_RATE_GRID's columns, named as the core's Summary names them.
GRID_COLUMNS = ("deemed_rate", "xirr_japan", "threshold_date", "japan_received", "unrecovered")

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
    cols = max((len(row) for row in rng), default=0)
    if rows > 1 and cols > 1:
        raise ExcelInputError(
            f"#VALUE! {name}: the range has {rows} rows and {cols} columns; select one column or one row."
        )
    return [cell for row in rng for cell in row]


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
    while rows and all(cell is None for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise ExcelInputError(
            "#VALUE! terms: blank; enter the deemed rate (e.g. 0.055) or select a name/value range."
        )
    if len(rows) == 1 and len(rows[0]) == 1:
        rate = rows[0][0]
        if isinstance(rate, str):  # a rate typed as text, e.g. "5.5%"
            return xlspv.Terms(deemed_rate=rate)
        return as_terms(rate)
    if max(len(row) for row in rows) == 1:
        raise ExcelInputError(
            f"#VALUE! terms: a one-column range of {len(rows)} cells; enter one number (the deemed "
            "rate) or select a two-column name/value range."
        )
    return xlspv.Terms.from_mapping(rows)


def _waterfall(values: Any, dates: Any, terms: Any) -> xlspv.Waterfall:
    """The one place inputs are prepared: converted, checked, and handed to the core."""
    vals, days = _flows(values, dates)
    with _core_errors_as_value_errors():
        return xlspv.compute(vals, days, _terms(terms))


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


@xw.func
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


@xw.func
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


@xw.func
@xw.arg("values", ndim=2, err_to_str=True, doc=_VALUES_DOC)
@xw.arg("dates", ndim=2, err_to_str=True, doc=_DATES_DOC)
@xw.arg("terms", ndim=2, err_to_str=True, doc=_TERMS_DOC)
@_shown_as_text_on_classic
def THRESHOLD_DATE(values, dates, terms):
    """Date Japan's deemed allocation is recovered for good; #N/A if not reached or nothing funded."""
    return _waterfall(values, dates, terms).threshold_date or NOT_AVAILABLE


@xw.func
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


@xw.func
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
    for row, cell in enumerate(cells, start=1):
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            raise ExcelInputError(
                f"#VALUE! rates row {row}: the cell is blank inside the rates; enter a rate or remove it."
            )
        if isinstance(cell, (bool, np.bool_)) or not isinstance(cell, (int, float, np.integer, np.floating)):
            raise ExcelInputError(
                f"#VALUE! rates row {row}: {cell!r} is not a number; enter a rate, e.g. 0.055."
            )
        if not math.isfinite(cell) or cell <= -1:
            raise ExcelInputError(
                f"#VALUE! rates row {row}: {cell!r} is not a rate above -100%; enter a rate, e.g. 0.055."
            )
    return np.array(cells, dtype=np.float64)


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
@xw.arg("model", ndim=2, err_to_str=True, doc="Optional: a name/value range of risk-model parameters "
        "(rate_vol, rate_reversion, rate_mean, rate_start, cash_vol, delay_months, stop_hazard, correlation).")
@_shown_as_text_on_classic
def SPV_RISK(values, dates, terms, scenarios=None, seed=None, model=None):
    """Monte Carlo risk figures (name/value rows): recovery probability, threshold and unrecovered quantiles, XIRR. At most 100,000 scenarios."""
    return _risk_rows(values, dates, terms, scenarios, seed, model)


def _risk_rows(values: Any, dates: Any, terms: Any, scenarios: Any, seed: Any, model: Any) -> list[list[Any]]:
    from xlspv.risk import FIGURES, RiskModel, check_scenarios, simulate

    vals, days = _flows(values, dates)
    with _core_errors_as_value_errors():
        n = check_scenarios(10_000 if scenarios is None else scenarios, RISK_SCENARIO_CAP)
        chosen = RiskModel() if model is None else RiskModel.from_mapping([list(r) for r in model])
        result = simulate(vals, days, _terms(terms), model=chosen, scenarios=n, seed=0 if seed is None else seed)
    figures = result.figures
    return [[name, _risk_value(figures[name], kind)] for name, kind in FIGURES]


def _risk_value(value: Any, kind: str) -> Any:
    if value is None:
        return NOT_AVAILABLE
    if kind == "count":
        return int(value)
    return value if kind == "date" else _number(value)
