"""The Excel functions (udfs.py) through xlwings's own Office.js call path, without Excel.

``xlwings.server.custom_functions_call`` is what xlwings Server and xlwings Lite run for every formula;
the payloads below are shaped as Excel sends them: 2-D lists of cells, dates as serial numbers, blanks
as None (or ""), error cells as {"type": "Error", ...}, optional arguments as None. xlwings decides at
its first import whether its decorators are the Office.js ones (``XLWINGS_ON_SERVER=true``) and gates
that path behind a license key (``noncommercial`` here, in the tests only), so the ``excel`` fixture
imports xlwings and udfs.py afresh under that environment and restores everything afterwards.

Expected values are hand-worked (the spec's worked example) or the core's own results
(``xlspv.compute``): these tests pin the adapter, not the waterfall.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import inspect
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import xlspv
from xlspv.examples import spv as example

ROOT = Path(__file__).resolve().parents[1]
UDFS = ROOT / "udfs.py"
EXCEL_EPOCH = dt.date(1899, 12, 30)
FUNCTIONS = {
    "SPV_PAYOUT": ["values", "dates", "party", "terms"],
    "SPV_IRR": ["values", "dates", "party", "terms", "guess"],
    "THRESHOLD_DATE": ["values", "dates", "terms"],
    "SPV_WATERFALL": ["values", "dates", "terms", "header"],
    "SPV_VERSION": [],
    "SPV_RATE_GRID": ["values", "dates", "terms", "rates", "header"],
    "SPV_RISK": ["values", "dates", "terms", "scenarios", "seed", "model"],
}
RUNTIMES = ["1.3", "1.4"]
ERROR_VALUES_14 = {"#N/A": "NotAvailable", "#NUM!": "Num"}


def serial(day: dt.date) -> int:
    """Excel 1900-system serial of a date (after 1 March 1900)."""
    return (day - EXCEL_EPOCH).days


def column(cells: list[Any]) -> list[list[Any]]:
    return [[c] for c in cells]


def row(cells: list[Any]) -> list[list[Any]]:
    return [list(cells)]


# The spec's worked example (xlspv.compute's docstring): Japan funds 100, the SPV distributes 60 a year
# later and 200 a year after that, deemed rate 10%. B: 100 -> 110, Japan gets 30 -> 80 -> 88, cleared
# by the first 176 of the last row; Japan also gets 10% of the other 24: 88 + 2.4 = 90.4.
SMALL_DATES = [dt.date(2025, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 1, 1)]
SMALL_VALUES = [-100.0, 60.0, 200.0]
SMALL_JAPAN = [0.0, 30.0, 90.4]
SMALL_US = [0.0, 30.0, 109.6]
SMALL_THRESHOLD = dt.date(2027, 1, 1)
SERIALS = [serial(d) for d in SMALL_DATES]


def _xlwings_modules() -> dict[str, Any]:
    return {name: m for name, m in sys.modules.items() if name == "xlwings" or name.startswith("xlwings.")}


@pytest.fixture(scope="module")
def excel():
    """udfs.py as xlwings Server/Lite load it, plus helpers to call it as Excel does."""
    saved = _xlwings_modules()
    for name in saved:
        del sys.modules[name]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XLWINGS_ON_SERVER", "true")
        mp.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
        import xlwings
        import xlwings.server as server

        assert xlwings.on_server, "xlwings decides its decorators from XLWINGS_ON_SERVER at first import"
        spec = importlib.util.spec_from_file_location("udfs_officejs_under_test", UDFS)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)

        def call(func_name: str, *args: Any, runtime: str = "1.4", date_format: str | None = None) -> Any:
            data = {
                "func_name": func_name,
                "args": list(args),
                "version": xlwings.__version__,
                "client": "Office.js",
                "runtime": runtime,
                "culture_info_name": "en-US",
                "date_format": date_format,
                "caller_address": "Sheet1!A1",
            }
            result = asyncio.run(server.custom_functions_call(data, module))
            assert_no_nan_or_inf(result)
            json.dumps(result, allow_nan=False)  # what the server sends back must be valid JSON
            return result

        def error(func_name: str, *args: Any, runtime: str = "1.4") -> str:
            with pytest.raises(xlwings.XlwingsError) as info:
                call(func_name, *args, runtime=runtime)
            return str(info.value)

        yield SimpleNamespace(
            call=call, error=error, module=module, meta=server.custom_functions_meta(module), xlwings=xlwings
        )
        del sys.modules[spec.name]
    for name in _xlwings_modules():
        del sys.modules[name]
    sys.modules.update(saved)
    for name in ("pyodide", "pyodide.ffi"):  # udfs's markers (see below)
        if name in sys.modules and sys.modules[name] is None:
            del sys.modules[name]


def assert_no_nan_or_inf(payload: Any) -> None:
    if isinstance(payload, float):
        assert math.isfinite(payload), payload
    elif isinstance(payload, (list, tuple)):
        for item in payload:
            assert_no_nan_or_inf(item)
    elif isinstance(payload, dict):
        for item in payload.values():
            assert_no_nan_or_inf(item)


def as_error(text: str, runtime: str) -> Any:
    """What an error string becomes on the way to Excel: a real error value from runtime 1.4 on."""
    if float(runtime) < 1.4:
        return text
    return {"type": "Error", "errorType": ERROR_VALUES_14[text]}


def small(*, dates: Any = None, values: Any = None) -> tuple[Any, Any]:
    return (
        column(SMALL_VALUES) if values is None else values,
        column([serial(d) for d in SMALL_DATES]) if dates is None else dates,
    )


def flat(payload: list[list[Any]]) -> list[Any]:
    return [cell for r in payload for cell in r]


# --- known values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("party", "expected"),
    [("Japan", SMALL_JAPAN), ("US", SMALL_US), ("partner", [0.0, 0.0, 0.0]), ("JAPAN", SMALL_JAPAN)],
    ids=["japan", "us", "partner-without-share", "case-insensitive"],
)
def test_payout_hand_worked_example(excel, party, expected):
    result = excel.call("SPV_PAYOUT", *small(), party, 0.10)
    assert [len(r) for r in result] == [1, 1, 1]  # a vertical spill, one payout per row
    assert flat(result) == pytest.approx(expected, abs=1e-9)


def test_payout_partner_share_from_terms_range(excel):
    terms = [["deemed_rate", 0.10], ["partner_share", 0.25]]
    assert flat(excel.call("SPV_PAYOUT", *small(), "Partner", terms)) == pytest.approx(
        [0.25 * x for x in SMALL_JAPAN], abs=1e-9
    )


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_threshold_date_as_serial_without_a_date_format(excel, runtime):
    assert excel.call("THRESHOLD_DATE", *small(), 0.10, runtime=runtime) == [[float(serial(SMALL_THRESHOLD))]]


def test_threshold_date_as_date_formatted_number_on_runtime_14(excel):
    result = excel.call("THRESHOLD_DATE", *small(), 0.10, runtime="1.4", date_format="m/d/yyyy")
    date = {
        "type": "FormattedNumber",
        "basicValue": float(serial(SMALL_THRESHOLD)),
        "numberFormat": "m/d/yyyy",
    }
    assert result == [[date]]


def test_threshold_date_on_runtime_13_ignores_the_date_format(excel):
    result = excel.call("THRESHOLD_DATE", *small(), 0.10, runtime="1.3", date_format="m/d/yyyy")
    assert result == [[float(serial(SMALL_THRESHOLD))]]


def test_irr_equals_deemed_rate_when_the_threshold_is_cleared_exactly(excel):
    # The spec's tie: default terms, one funding of 100, B = 110 after 365 days, cleared exactly by
    # 220 (Japan's half is 110): Japan's flows are -100 then +110, XIRR = 10% exactly.
    values = column([-100.0, 220.0])
    dates = column([serial(dt.date(2025, 1, 1)), serial(dt.date(2026, 1, 1))])
    assert excel.call("SPV_IRR", values, dates, "Japan", 0.10, None)[0][0] == pytest.approx(0.10, rel=1e-12)


EXAMPLE_VALUES = column(example.values())
EXAMPLE_DATES = column([serial(d) for d in example.dates()])


@pytest.mark.parametrize("party", ["japan", "us", "partner", "project"])
def test_irr_matches_the_core(excel, party):
    terms = [["deemed_rate", 0.055], ["partner_share", 0.2]]
    core = xlspv.compute(example.values(), example.dates(), {"deemed_rate": 0.055, "partner_share": 0.2})
    expected = core.xirr(party)
    result = excel.call("SPV_IRR", EXAMPLE_VALUES, EXAMPLE_DATES, party.upper(), terms, None)
    if expected is None:  # the US never funds: it has no IRR
        assert result == [[as_error("#NUM!", "1.4")]]
    else:
        assert result[0][0] == pytest.approx(expected, rel=1e-12)


def test_irr_guess_omitted_or_blank_is_the_default(excel):
    full = excel.call("SPV_IRR", EXAMPLE_VALUES, EXAMPLE_DATES, "Japan", 0.055, 0.1)
    assert excel.call("SPV_IRR", EXAMPLE_VALUES, EXAMPLE_DATES, "Japan", 0.055) == full
    assert excel.call("SPV_IRR", EXAMPLE_VALUES, EXAMPLE_DATES, "Japan", 0.055, None) == full
    assert excel.call("SPV_IRR", EXAMPLE_VALUES, EXAMPLE_DATES, "Japan", 0.055, [[None]]) == full


def test_payout_matches_the_core_on_the_example(excel):
    core = xlspv.compute(example.values(), example.dates(), example.TERMS)
    for party in ("japan", "us", "partner"):
        result = excel.call("SPV_PAYOUT", EXAMPLE_VALUES, EXAMPLE_DATES, party, 0.055)
        assert flat(result) == pytest.approx(list(getattr(core, party)), rel=1e-12, abs=1e-9)
    result = excel.call("THRESHOLD_DATE", EXAMPLE_VALUES, EXAMPLE_DATES, 0.055, runtime="1.3")
    assert result == [[float(serial(core.threshold_date))]]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_waterfall_table_matches_the_core(excel, runtime):
    core = xlspv.compute(example.values(), example.dates(), example.TERMS).table()
    result = excel.call("SPV_WATERFALL", EXAMPLE_VALUES, EXAMPLE_DATES, 0.055, None, runtime=runtime)
    assert result[0] == ["date", "value", "interest", "japan", "us", "partner", "balance", "tier"]
    body = result[1:]
    assert len(body) == len(core)
    assert [r[0] for r in body] == [float(serial(d)) for d in core["date"].dt.date]
    for j, name in enumerate(result[0][1:-1], start=1):
        cells = [r[j] for r in body]
        assert all(isinstance(c, float) for c in cells), name  # all-number columns hold numbers
        assert cells == pytest.approx(core[name].tolist(), rel=1e-12, abs=1e-9), name
    assert [r[-1] for r in body] == core["tier"].tolist()


def test_waterfall_dates_are_date_formatted_on_runtime_14(excel):
    result = excel.call("SPV_WATERFALL", *small(), 0.10, True, runtime="1.4", date_format="dd/mm/yyyy")
    assert [r[0] for r in result[1:]] == [
        {"type": "FormattedNumber", "basicValue": float(serial(d)), "numberFormat": "dd/mm/yyyy"}
        for d in SMALL_DATES
    ]


@pytest.mark.parametrize("header", [False, 0], ids=["FALSE", "zero"])
def test_waterfall_without_header(excel, header):
    result = excel.call("SPV_WATERFALL", *small(), 0.10, header, runtime="1.3")
    assert len(result) == 3
    assert [r[3] for r in result] == pytest.approx(SMALL_JAPAN)
    assert [r[-1] for r in result] == ["funding", "before", "threshold"]


def test_version(excel):
    assert excel.call("SPV_VERSION") == [[xlspv.__version__]]


# --- shapes Excel passes --------------------------------------------------------------------------


def test_row_inputs_give_the_same_column_as_column_inputs(excel):
    as_rows = excel.call("SPV_PAYOUT", row(SMALL_VALUES), row(SERIALS), "Japan", 0.1)
    assert as_rows == excel.call("SPV_PAYOUT", *small(), "Japan", 0.1)
    assert excel.call("SPV_PAYOUT", row(SMALL_VALUES), column(SERIALS), "Japan", 0.1) == as_rows


@pytest.mark.parametrize(
    "dates",
    [
        column([float(serial(d)) for d in SMALL_DATES]),
        column([serial(d) + 0.75 for d in SMALL_DATES]),  # a time of day is dropped
        column([dt.datetime(d.year, d.month, d.day, 13, 30) for d in SMALL_DATES]),
        column(SMALL_DATES),
        column([{"type": "FormattedNumber", "basicValue": s, "numberFormat": "m/d/yyyy"} for s in SERIALS]),
    ],
    ids=["serial-floats", "serials-with-time", "datetimes", "dates", "formatted-numbers"],
)
def test_dates_as_serials_datetimes_and_formatted_numbers(excel, dates):
    assert flat(excel.call("SPV_PAYOUT", *small(dates=dates), "Japan", 0.1)) == pytest.approx(SMALL_JAPAN)


@pytest.mark.parametrize("blank", [None, ""], ids=["null", "empty-string"])
def test_trailing_blanks_of_over_long_ranges_are_ignored(excel, blank):
    values = column([*SMALL_VALUES, blank, blank, blank])
    dates = column([*(serial(d) for d in SMALL_DATES), blank, blank])  # even of different lengths
    trimmed = excel.call("SPV_PAYOUT", *small(), "Japan", 0.1)
    assert excel.call("SPV_PAYOUT", values, dates, "Japan", 0.1) == trimmed
    table = excel.call("SPV_WATERFALL", values, dates, 0.1, None)
    assert len(table) == 1 + len(SMALL_VALUES)


def test_rows_in_any_order_give_payouts_aligned_with_the_input(excel):
    order = [2, 0, 1]
    values = column([SMALL_VALUES[i] for i in order])
    dates = column([serial(SMALL_DATES[i]) for i in order])
    assert flat(excel.call("SPV_PAYOUT", values, dates, "Japan", 0.1)) == pytest.approx(
        [SMALL_JAPAN[i] for i in order]
    )


def test_single_cell_inputs(excel):
    # One funding row: nothing distributed, so no threshold and no IRR.
    assert excel.call("SPV_PAYOUT", -100, serial(SMALL_DATES[0]), "Japan", 0.1) == [[0.0]]
    assert excel.call("THRESHOLD_DATE", -100, serial(SMALL_DATES[0]), 0.1, runtime="1.3") == [["#N/A"]]


@pytest.mark.parametrize(
    "terms",
    [
        0.1,
        [[0.1]],
        "10%",
        [["deemed_rate", 0.1]],
        [["Deemed Rate", "10%"], ["day_count", "ACT/365F"], [None, None], [None, None]],
        [["deemed_rate", 0.1, None], ["compounding", "annual", None], [None, None, None]],
        [["deemed_rate", 0.1, serial(dt.date(2020, 1, 1))]],
    ],
    ids=["number", "one-cell-range", "percent-text", "one-row", "trailing-blank-rows", "3-columns", "dated"],
)
def test_terms_as_a_number_or_a_range(excel, terms):
    assert flat(excel.call("SPV_PAYOUT", *small(), "Japan", terms)) == pytest.approx(SMALL_JAPAN, abs=1e-9)


def test_dated_rate_schedule_with_serial_effective_dates_matches_the_core(excel):
    schedule = [(dt.date(2025, 1, 1), 0.05), (dt.date(2026, 7, 1), 0.08)]
    terms = [["deemed_rate", rate, float(serial(day))] for day, rate in schedule]
    terms.append(["day_count", "ACT/360", None])
    core = xlspv.compute(
        example.values(),
        example.dates(),
        xlspv.Terms(xlspv.RateSchedule.from_rows(schedule), day_count="ACT/360"),
    )
    result = excel.call("SPV_WATERFALL", EXAMPLE_VALUES, EXAMPLE_DATES, terms, False)
    assert [r[6] for r in result] == pytest.approx(list(core.balance), rel=1e-12)


def test_scheduled_basis_through_a_terms_range(excel):
    pytest.importorskip("xlspv.scheduled", reason="the scheduled basis is not in the core yet")
    terms = [["deemed_rate", 0.055], ["allocation_basis", "scheduled"], ["useful_life", 20]]
    core = xlspv.compute(example.values(), example.dates(), dict(terms))
    assert flat(excel.call("SPV_PAYOUT", EXAMPLE_VALUES, EXAMPLE_DATES, "Japan", terms)) == pytest.approx(
        list(core.japan), rel=1e-12, abs=1e-9
    )


# --- #N/A and #NUM! -------------------------------------------------------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_threshold_not_reached_is_na(excel, runtime):
    values = column([-100.0, 60.0])
    dates = column([serial(SMALL_DATES[0]), serial(SMALL_DATES[1])])
    assert excel.call("THRESHOLD_DATE", values, dates, 0.1, runtime=runtime) == [[as_error("#N/A", runtime)]]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_no_funding_has_no_threshold(excel, runtime):
    values = column([60.0, 200.0])
    dates = column([serial(SMALL_DATES[0]), serial(SMALL_DATES[1])])
    assert excel.call("THRESHOLD_DATE", values, dates, 0.1, runtime=runtime) == [[as_error("#N/A", runtime)]]


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(
    ("values", "party"),
    [([-100.0, 60.0, 200.0], "US"), ([-100.0, -50.0, 0.0], "Japan"), ([-100.0, 60.0, 200.0], "Partner")],
    ids=["us-never-funds", "japan-never-paid", "partner-without-share"],
)
def test_no_irr_is_num(excel, runtime, values, party):
    result = excel.call("SPV_IRR", column(values), small()[1], party, 0.1, None, runtime=runtime)
    assert result == [[as_error("#NUM!", runtime)]]


def test_overflowing_results_are_an_input_error_never_inf(excel):
    # A deemed balance that overflows a float: the core refuses it; Excel gets #VALUE! saying why, not inf.
    values = column([-1e308, 1e308])
    dates = column([serial(dt.date(2000, 1, 1)), serial(dt.date(2100, 1, 1))])
    message = excel.error("SPV_WATERFALL", values, dates, "1000%", False, runtime="1.3")
    assert message.startswith("#VALUE! values: the deemed balance or a payout overflows")


@pytest.mark.parametrize("rate", [5, 5.0, 1.0, "5"])
def test_a_bare_rate_of_one_or_more_as_terms_is_refused_not_read_as_500_percent(excel, rate):
    # the one rate rule of every typed surface (xlspv.terms.parse_rate), as on the command line
    message = excel.error("THRESHOLD_DATE", *small(), rate, runtime="1.3")
    shown = rate if isinstance(rate, str) else f"{float(rate):g}"
    assert message == (
        f"#VALUE! deemed_rate: {shown} would be {float(rate):.0%} a year; write the rate as a decimal "
        f"({float(rate) / 100:g}) or with a per-cent sign ({shown}%)."
    )


def test_a_rate_with_its_per_cent_sign_is_taken_as_written(excel):
    assert excel.call("THRESHOLD_DATE", *small(), "5.5%", runtime="1.3") == excel.call(
        "THRESHOLD_DATE", *small(), 0.055, runtime="1.3"
    )


# --- input errors: #VALUE! with the argument, the row and the fix --------------------------------

V, D = small()


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(
    ("func", "args", "message"),
    [
        ("SPV_PAYOUT", (column([-100, "abc", 200]), D, "Japan", 0.1),
         "#VALUE! values row 2: 'abc' is not a number; enter a number."),
        ("SPV_PAYOUT", (column([-100, None, 200]), D, "Japan", 0.1),
         "#VALUE! values row 2: the cell is blank inside the data; enter 0 or remove the row."),
        ("SPV_PAYOUT", (column([-100, "", 200]), D, "Japan", 0.1),
         "#VALUE! values row 2: the cell is blank inside the data; enter 0 or remove the row."),
        ("SPV_PAYOUT", (column([-100, True, 200]), D, "Japan", 0.1),
         "#VALUE! values row 2: True is not a number; enter a number."),
        ("SPV_PAYOUT", (column([-100, {"type": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}, 200]),
                        D, "Japan", 0.1),
         "#VALUE! values row 2: '#DIV/0!' is not a number; enter a number."),
        ("SPV_PAYOUT", (V, column(SERIALS[:2]), "Japan", 0.1),
         "#VALUE! values has 3 cells but dates has 2; give one date per value (ranges of the same size)."),
        ("SPV_PAYOUT", (V, column([SERIALS[0], None, SERIALS[2]]), "Japan", 0.1),
         "#VALUE! dates row 2: the date is blank; enter a date."),
        ("SPV_PAYOUT", (V, column([SERIALS[0], "2026-01-01", SERIALS[2]]), "Japan", 0.1),
         "#VALUE! dates row 2: '2026-01-01' is not a date; enter a date or an Excel date serial."),
        ("SPV_PAYOUT", (V, None, "Japan", 0.1),
         "#VALUE! values has 3 cells but dates has 0; give one date per value (ranges of the same size)."),
        ("SPV_PAYOUT", (None, None, "Japan", 0.1),
         "#VALUE! values: no rows; give at least one (date, value) row."),
        ("SPV_PAYOUT", ([[-100, 60], [200, 10]], D, "Japan", 0.1),
         "#VALUE! values: the range has 2 rows and 2 columns; select one column or one row."),
        ("SPV_PAYOUT", (V, D, "Project", 0.1),
         "#VALUE! party: 'Project' is not a party; use one of Japan, US, Partner."),
        ("SPV_IRR", (V, D, "UK", 0.1, None),
         "#VALUE! party: 'UK' is not a party; use one of Japan, US, Partner, Project."),
        ("SPV_IRR", (V, D, None, 0.1, None),
         "#VALUE! party: blank; enter one of Japan, US, Partner, Project."),
        ("SPV_IRR", (V, D, "Japan", 0.1, "abc"),
         "#VALUE! guess: 'abc' is not a number; enter a rate such as 0.1."),
        ("SPV_IRR", (V, D, "Japan", 0.1, -1),
         "#VALUE! guess: -1 must be a finite rate above -100%; enter e.g. 0.1."),
        ("THRESHOLD_DATE", (V, D, None),
         "#VALUE! terms: blank; enter the deemed rate (e.g. 0.055) or select a name/value range."),
        ("THRESHOLD_DATE", (V, D, "abc"),
         "#VALUE! deemed_rate: 'abc' is not a number; enter a number."),
        ("THRESHOLD_DATE", (V, D, True),
         "#VALUE! terms: True is not a deemed rate or a terms table."),
        ("THRESHOLD_DATE", (V, D, -1.5),
         "#VALUE! deemed_rate: -1.5 is -100% or less; a deemed rate must be above -100%."),
        ("THRESHOLD_DATE", (V, D, [[0.1], [0.5]]),
         "#VALUE! terms: a one-column range of 2 cells; enter one number (the deemed rate) or select a "
         "two-column name/value range."),
        ("THRESHOLD_DATE", (V, D, [["deemed_rate", 0.1], ["rate_spread", 0.01]]),
         "#VALUE! terms row 2: 'rate_spread' is not a term; use one of allocation_basis, compounding, "
         "day_count, deemed_rate, guarantee_fee, japan_share_after, japan_share_before, partner_share, "
         "useful_life."),
        ("THRESHOLD_DATE", (V, D, [["deemed_rate", 0.1], ["japan_share_before", 1.5]]),
         "#VALUE! japan_share_before: 1.5 is outside [0, 1]; enter a share such as 0.5 (= 50%)."),
        ("THRESHOLD_DATE", (V, D, [["deemed_rate", 0.1], ["day_count", "ACT/ACT"]]),
         "#VALUE! day_count: 'ACT/ACT' is not a day count; use one of ACT/365F, ACT/360, 30/360."),
        ("THRESHOLD_DATE", (V, D, [["day_count", "ACT/360"]]),
         "#VALUE! deemed_rate: required (no default); add a deemed_rate row, e.g. 0.05."),
        ("THRESHOLD_DATE", (V, D, [["deemed_rate", 0.1], ["deemed_rate", 0.2]]),
         "#VALUE! terms row 2: deemed_rate is given twice; keep one row, or give each rate an effective "
         "date in the third column to make a schedule."),
        ("THRESHOLD_DATE", (V, D, [["deemed_rate", 0.1, SERIALS[0]], ["deemed_rate", 0.2, SERIALS[0]]]),
         "#VALUE! deemed_rate: the rate schedule has two rates on 2025-01-01; keep one."),
        ("THRESHOLD_DATE", (V, D, [["deemed_rate", 0.1, SERIALS[1]]]),
         "#VALUE! deemed_rate: the rate schedule starts on 2026-01-01, after the first cash flow on "
         "2025-01-01; add a rate effective on or before 2025-01-01."),
        ("SPV_WATERFALL", (V, D, 0.1, "maybe"),
         "#VALUE! header: 'maybe' is not TRUE or FALSE; enter TRUE or FALSE."),
    ],
    ids=[
        "text-value", "blank-value-in-middle", "empty-string-in-middle", "boolean-value", "error-cell-value",
        "lengths-differ", "blank-date-in-middle", "text-date", "no-dates", "no-rows", "two-d-range",
        "payout-party-project", "unknown-party", "blank-party", "text-guess", "guess-minus-100pc",
        "blank-terms", "text-rate", "boolean-terms", "rate-below-minus-100pc", "one-column-terms",
        "unknown-term", "share-out-of-range", "unknown-day-count", "no-deemed-rate", "term-twice",
        "two-rates-one-date", "schedule-starts-late", "bad-header",
    ],
)  # fmt: skip
def test_input_errors_are_value_errors_naming_the_input(excel, runtime, func, args, message):
    assert excel.error(func, *args, runtime=runtime) == message


def test_input_errors_are_xlwings_errors_so_office_js_shows_their_text(excel):
    assert issubclass(excel.module.ExcelInputError, excel.xlwings.XlwingsError)


# --- the classic add-in (Windows): errors as the cell's text, never a traceback -------------------


@pytest.fixture(scope="module")
def classic(excel):
    """udfs.py loaded with decorators that present themselves as the classic add-in's (xlwings.udfs).

    The classic add-in runs on Windows only; its decorators record the same metadata as the Office.js
    ones, so those stand in here, relabelled, to exercise udfs.py's classic branch.
    """

    def relabel(decorator):
        def classic_decorator(*args, **kwargs):
            return decorator(*args, **kwargs)

        classic_decorator.__module__ = "xlwings.udfs"
        return classic_decorator

    xw = excel.xlwings
    with pytest.MonkeyPatch.context() as mp:
        for name in ("func", "arg", "ret"):
            mp.setattr(xw, name, relabel(getattr(xw, name)))
        spec = importlib.util.spec_from_file_location("udfs_classic_under_test", UDFS)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    assert module.CLASSIC_ADDIN
    return module


def test_classic_addin_shows_input_errors_as_text_starting_with_the_code(classic):
    assert classic.SPV_IRR([["abc"]], [[serial(SMALL_DATES[0])]], "Japan", [[0.1]]) == (
        "#VALUE! values row 1: 'abc' is not a number; enter a number."
    )
    assert classic.SPV_PAYOUT(V, D, "Japan", [[0.1]]) == [[x] for x in SMALL_JAPAN]


def test_classic_addin_keeps_signatures_and_optional_arguments(classic):
    for name, params in FUNCTIONS.items():
        func = getattr(classic, name)
        assert list(inspect.signature(func).parameters) == params
        assert [a["name"] for a in func.__xlfunc__["args"]] == params
    assert [a.get("optional", "required") for a in classic.SPV_IRR.__xlfunc__["args"]][-1] == 0.1


def test_office_js_functions_are_not_wrapped(excel):
    assert not excel.module.CLASSIC_ADDIN
    assert not hasattr(excel.module.SPV_IRR, "__wrapped__")


# --- metadata: names, optional arguments, help text -----------------------------------------------


def test_meta_names_and_argument_order(excel):
    functions = {f["id"]: f for f in excel.meta["functions"]}
    assert set(functions) == set(FUNCTIONS)
    for name, params in FUNCTIONS.items():
        assert functions[name]["name"] == name  # no namespace from udfs.py (a manifest may add one)
        assert [p["name"] for p in functions[name]["parameters"]] == params


def test_meta_optional_arguments_are_guess_and_header_with_defaults_in_their_help(excel):
    optional = {
        (f["id"], p["name"]): p["description"]
        for f in excel.meta["functions"]
        for p in f["parameters"]
        if p.get("optional")
    }
    risk = {("SPV_RISK", "scenarios"), ("SPV_RISK", "seed"), ("SPV_RISK", "model")}  # issue 17
    assert set(optional) - risk == {
        ("SPV_IRR", "guess"),
        ("SPV_WATERFALL", "header"),
        ("SPV_RATE_GRID", "header"),
    }
    assert (
        "default 10,000" in optional["SPV_RISK", "scenarios"] and "default 0" in optional["SPV_RISK", "seed"]
    )
    assert "default 0.1" in optional["SPV_IRR", "guess"]
    assert "default TRUE" in optional["SPV_WATERFALL", "header"]
    assert "default TRUE" in optional["SPV_RATE_GRID", "header"]


def test_meta_help_text_fits_the_function_wizard(excel):
    for func in excel.meta["functions"]:
        assert 0 < len(func["description"]) <= 255, func["id"]
        assert "\n" not in func["description"], func["id"]
        for param in func["parameters"]:
            assert 0 < len(param["description"]) <= 255, (func["id"], param["name"])
            assert not param["description"].startswith("Positional argument"), (func["id"], param["name"])


# --- no license key ------------------------------------------------------------------------------


def test_udfs_import_and_run_without_an_xlwings_license_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS_")}
    code = (
        "import datetime as dt, xlwings, udfs\n"
        "assert not xlwings.__pro__\n"
        "print(udfs.SPV_VERSION())\n"
        "print(udfs.THRESHOLD_DATE([[-100], [60], [200]], [[45658], [46023], [46388]], [[0.1]]))\n"
    )
    run = [sys.executable, "-c", code]
    out = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == [xlspv.__version__, "2027-01-01"]


# --- SPV_RATE_GRID: a deemed-rate grid in one batch call -----------------------------------------

GRID_HEADER = ["deemed_rate", "xirr_japan", "threshold_date", "japan_received", "unrecovered"]
#: Eleven rates, 0% to 10%: the example at its other terms below reaches the threshold up to some rate
#: and not beyond, so the grid holds dates and #N/A both (checked in the test).
GRID_RATES = [i / 100 for i in range(11)]
GRID_TERMS_ROWS = [["deemed_rate", 0.055], ["day_count", "ACT/360"], ["compounding", "semiannual"],
                   ["partner_share", 0.2]]  # fmt: skip
GRID_TERMS = {"day_count": "ACT/360", "compounding": "semiannual", "partner_share": 0.2}


def grid_expected(rate: float, runtime: str, **terms: Any) -> list[Any]:
    """One grid row from xlspv.compute at that rate (the core's single-SPV path, not the batch)."""
    s = xlspv.compute(example.values(), example.dates(), xlspv.Terms(rate, **terms)).summary()
    threshold = as_error("#N/A", runtime) if s.threshold_date is None else float(serial(s.threshold_date))
    irr = as_error("#NUM!", runtime) if s.xirr_japan is None else s.xirr_japan
    return [rate, irr, threshold, s.japan_received, s.unrecovered]


def assert_grid_row(got: list[Any], want: list[Any]) -> None:
    assert len(got) == len(want) == 5
    for g, w in zip(got, want, strict=True):
        if isinstance(w, float):
            assert isinstance(g, float) and g == pytest.approx(w, rel=1e-12, abs=1e-9), (got, want)
        else:
            assert g == w, (got, want)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_rate_grid_matches_the_core_rate_by_rate(excel, runtime):
    result = excel.call("SPV_RATE_GRID", EXAMPLE_VALUES, EXAMPLE_DATES, GRID_TERMS_ROWS,
                        column(GRID_RATES), None, runtime=runtime)  # fmt: skip
    assert result[0] == GRID_HEADER
    assert len(result) == 1 + len(GRID_RATES)
    for got, rate in zip(result[1:], GRID_RATES, strict=True):
        assert_grid_row(got, grid_expected(rate, runtime, **GRID_TERMS))
    reached = [isinstance(r[2], float) for r in result[1:]]
    assert True in reached and False in reached, "the grid should show both a threshold date and #N/A"
    assert [r[4] > 0 for r in result[1:]] == [not x for x in reached]  # unrecovered only where not reached


def test_rate_grid_hand_worked_small_example(excel):
    # The spec's worked example at 0% and 10%: at 0% B is 100 -> 70 after the first 30, cleared by the
    # first 140 of the last row, plus 10% of the other 60: Japan gets 30 + 70 + 6 = 106. At 10%: 30 + 90.4.
    result = excel.call("SPV_RATE_GRID", *small(), 0.10, column([0.0, 0.10]), False, runtime="1.3")
    day = float(serial(SMALL_THRESHOLD))
    assert [r[2] for r in result] == [day, day]
    assert flat([[r[0], r[3], r[4]] for r in result]) == pytest.approx([0.0, 106.0, 0.0, 0.1, 120.4, 0.0])
    assert result[1][1] == pytest.approx(xlspv.xirr([-100.0, 30.0, 90.4], SMALL_DATES), rel=1e-12)


def test_rate_grid_without_header(excel):
    with_header = excel.call("SPV_RATE_GRID", *small(), 0.1, column([0.05, 0.1]), True)
    assert excel.call("SPV_RATE_GRID", *small(), 0.1, column([0.05, 0.1]), False) == with_header[1:]
    assert excel.call("SPV_RATE_GRID", *small(), 0.1, column([0.05, 0.1]), 0) == with_header[1:]
    assert excel.call("SPV_RATE_GRID", *small(), 0.1, column([0.05, 0.1])) == with_header  # omitted


def test_rate_grid_threshold_dates_are_date_formatted_on_runtime_14(excel):
    result = excel.call("SPV_RATE_GRID", *small(), 0.1, column([0.1]), False, date_format="m/d/yyyy")
    assert result[0][2] == {
        "type": "FormattedNumber",
        "basicValue": float(serial(SMALL_THRESHOLD)),
        "numberFormat": "m/d/yyyy",
    }


@pytest.mark.parametrize(
    "rates",
    [
        row(GRID_RATES),
        column([*GRID_RATES, None, None]),
        column([*GRID_RATES, "", " "]),
        row([*GRID_RATES, None, ""]),
    ],
    ids=["row", "column-trailing-nulls", "column-trailing-empty-strings", "row-trailing-blanks"],
)
def test_rate_grid_rates_as_a_row_or_with_trailing_blanks_give_the_same_column(excel, rates):
    as_column = excel.call("SPV_RATE_GRID", EXAMPLE_VALUES, EXAMPLE_DATES, 0.055, column(GRID_RATES))
    assert excel.call("SPV_RATE_GRID", EXAMPLE_VALUES, EXAMPLE_DATES, 0.055, rates) == as_column
    assert len(as_column) == 1 + len(GRID_RATES)


def test_rate_grid_keeps_the_order_of_the_rates_and_accepts_one_cell(excel):
    rates = [0.07, -0.5, 0.03, 0.07]  # unsorted, negative, repeated: a row each, as given
    result = excel.call("SPV_RATE_GRID", EXAMPLE_VALUES, EXAMPLE_DATES, 0.055, column(rates), False)
    for got, rate in zip(result, rates, strict=True):
        assert_grid_row(got, grid_expected(rate, "1.4"))
    single = excel.call("SPV_RATE_GRID", EXAMPLE_VALUES, EXAMPLE_DATES, 0.055, 0.07, False)
    assert single == result[:1]


def test_rate_grid_rows_in_any_order_give_the_same_grid(excel):
    order = list(range(len(example.values())))[::-1]
    values = column([example.values()[i] for i in order])
    dates = column([serial(example.dates()[i]) for i in order])
    in_order = excel.call("SPV_RATE_GRID", EXAMPLE_VALUES, EXAMPLE_DATES, 0.055, column(GRID_RATES))
    shuffled = excel.call("SPV_RATE_GRID", values, dates, 0.055, column(GRID_RATES))
    assert shuffled[0] == in_order[0]
    for got, want in zip(shuffled[1:], in_order[1:], strict=True):
        assert_grid_row(got, want)


def test_rate_grid_rates_replace_a_dated_rate_schedule_and_keep_the_other_terms(excel):
    changes = [serial(dt.date(2020, 1, 1)), serial(dt.date(2030, 1, 1))]
    terms = [["deemed_rate", 0.05, changes[0]], ["deemed_rate", 0.09, changes[1]],
             ["day_count", "30/360", None], ["compounding", "monthly", None]]  # fmt: skip
    result = excel.call("SPV_RATE_GRID", EXAMPLE_VALUES, EXAMPLE_DATES, terms, column([0.04, 0.06]), False)
    for got, rate in zip(result, [0.04, 0.06], strict=True):
        assert_grid_row(got, grid_expected(rate, "1.4", day_count="30/360", compounding="monthly"))


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(
    ("values", "unrecovered"),
    [([60.0, 200.0, 10.0], 0.0), ([-100.0, -50.0, 0.0], None)],
    ids=["nothing-funded", "japan-never-paid"],
)
def test_rate_grid_no_irr_is_num_and_no_threshold_is_na(excel, runtime, values, unrecovered):
    result = excel.call("SPV_RATE_GRID", column(values), small()[1], 0.1, column([0.0, 0.1]), False,
                        runtime=runtime)  # fmt: skip
    for got, rate in zip(result, [0.0, 0.1], strict=True):
        assert got[:3] == [rate, as_error("#NUM!", runtime), as_error("#N/A", runtime)]
        core = xlspv.compute(values, SMALL_DATES, rate)
        assert got[3:] == pytest.approx([float(core.japan.sum()), core.unrecovered], rel=1e-12)
        assert unrecovered is None or got[4] == unrecovered


SCHEDULED_TERMS = [["deemed_rate", 0.055], ["allocation_basis", "scheduled"], ["useful_life", 20]]
GRID_ERROR = {"type": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((V, D, 0.1, column([0.05, "abc", 0.07])),
         "#VALUE! rates row 2: 'abc' is not a number; enter a number."),
        ((V, D, 0.1, row([0.05, "0,055"])),
         "#VALUE! rates row 2: '0,055' is ambiguous: write 0.055 or 5.5%."),
        ((V, D, 0.1, column([0.05, True])),
         "#VALUE! rates row 2: True is not a number; enter a rate, e.g. 0.055."),
        ((V, D, 0.1, column([GRID_ERROR, 0.05])),
         "#VALUE! rates row 1: '#DIV/0!' is not a number; enter a rate, e.g. 0.055."),
        ((V, D, 0.1, column([0.05, -1])),
         "#VALUE! rates row 2: -1.0 is -100% or less; a deemed rate must be above -100%."),
        ((V, D, 0.1, column([-1.5])),
         "#VALUE! rates row 1: -1.5 is -100% or less; a deemed rate must be above -100%."),
        ((V, D, 0.1, column([0.05, None, 0.07])),
         "#VALUE! rates row 2: the cell is blank inside the rates; enter a rate or remove it."),
        ((V, D, 0.1, None),
         "#VALUE! rates: blank; enter the deemed rates to compare (e.g. 0.035 to 0.075) in one column or "
         "one row."),
        ((V, D, 0.1, column([None, "", None])),
         "#VALUE! rates: blank; enter the deemed rates to compare (e.g. 0.035 to 0.075) in one column or "
         "one row."),
        ((V, D, 0.1, [[0.03, 0.04], [0.05, 0.06]]),
         "#VALUE! rates: the range has 2 rows and 2 columns; select one column or one row."),
        ((V, D, SCHEDULED_TERMS, column([0.05])),
         "#VALUE! allocation_basis: SPV_RATE_GRID computes the cumulative reading only; set allocation_basis "
         "to cumulative, or use SPV_IRR and THRESHOLD_DATE per rate."),
        ((column([-100, "abc", 200]), D, 0.1, column([0.05])),
         "#VALUE! values row 2: 'abc' is not a number; enter a number."),
        ((V, D, [["day_count", "ACT/360"]], column([0.05])),
         "#VALUE! deemed_rate: required (no default); add a deemed_rate row, e.g. 0.05."),
        ((V, D, 0.1, column([0.05]), "maybe"),
         "#VALUE! header: 'maybe' is not TRUE or FALSE; enter TRUE or FALSE."),
    ],
    ids=[
        "text-rate", "decimal-comma-text-rate", "boolean-rate", "error-cell-rate", "rate-minus-100pc",
        "rate-below-minus-100pc", "blank-rate-in-middle", "no-rates", "only-blank-rates", "two-d-rates",
        "scheduled-basis", "text-value", "no-deemed-rate-in-terms", "bad-header",
    ],
)  # fmt: skip
def test_rate_grid_input_errors_are_value_errors_naming_the_input(excel, runtime, args, message):
    assert excel.error("SPV_RATE_GRID", *args, runtime=runtime) == message


def test_rate_grid_is_listed_in_the_meta_with_its_optional_header_and_help(excel):
    (func,) = [f for f in excel.meta["functions"] if f["id"] == "SPV_RATE_GRID"]
    assert func["name"] == "SPV_RATE_GRID"
    assert func["description"].startswith("Deemed-rate grid, one row per rate")
    assert len(func["description"]) <= 255
    params = {p["name"]: p for p in func["parameters"]}
    assert list(params) == ["values", "dates", "terms", "rates", "header"]
    assert [name for name, p in params.items() if p.get("optional")] == ["header"]
    assert "one column or one row" in params["rates"]["description"]
    assert "replaces the terms' deemed rate" in params["rates"]["description"]
    assert "default TRUE" in params["header"]["description"]
    assert func["result"]["dimensionality"] == "matrix"


def test_rate_grid_on_the_classic_add_in_shows_input_errors_as_text(classic):
    assert classic.SPV_RATE_GRID(V, D, [[0.1]], [["abc"]], None) == (
        "#VALUE! rates row 1: 'abc' is not a number; enter a number."
    )
    grid = classic.SPV_RATE_GRID(V, D, [[0.1]], [[0.1]], None)
    assert grid[0] == GRID_HEADER
    assert grid[1][2] == SMALL_THRESHOLD  # the classic wrapper writes dates as dates


# --- one computation per recalculation (the memo) -------------------------------------------------


@pytest.fixture
def core_calls(excel, monkeypatch):
    """The number of times the core computes a waterfall (``xlspv.compute``), from a cleared memo."""
    calls = []
    compute = xlspv.compute

    def counted(*args, **kwargs):
        calls.append(args)
        return compute(*args, **kwargs)

    monkeypatch.setattr(xlspv, "compute", counted)
    excel.module._MEMO.clear()
    yield calls
    excel.module._MEMO.clear()


def results_sheet(excel, values, dates, terms):
    """The template's Results sheet: the table, the threshold date and the IRR of each party."""
    return [
        excel.call("SPV_WATERFALL", values, dates, terms, None),
        excel.call("THRESHOLD_DATE", values, dates, terms),
        *[
            excel.call("SPV_IRR", values, dates, p, terms, None)
            for p in ("Japan", "US", "Partner", "Project")
        ],  # noqa: E501
    ]


def test_a_results_sheet_computes_the_waterfall_once(excel, core_calls):
    first = results_sheet(excel, EXAMPLE_VALUES, EXAMPLE_DATES, [["deemed_rate", 0.055]])
    assert len(core_calls) == 1  # six functions, one waterfall
    changed = [list(r) for r in EXAMPLE_VALUES]
    changed[-1][0] += 1.0
    results_sheet(excel, changed, EXAMPLE_DATES, [["deemed_rate", 0.055]])
    assert len(core_calls) == 2  # a changed input: computed again, once
    each = []  # each function computed from scratch
    for func, args in [
        ("SPV_WATERFALL", (None,)),
        ("THRESHOLD_DATE", ()),
        *[("SPV_IRR", (p, None)) for p in ("Japan", "US", "Partner", "Project")],
    ]:
        excel.module._MEMO.clear()
        if func == "SPV_IRR":
            terms = [["deemed_rate", 0.055]]
            each.append(excel.call(func, EXAMPLE_VALUES, EXAMPLE_DATES, args[0], terms, None))
        else:
            each.append(excel.call(func, EXAMPLE_VALUES, EXAMPLE_DATES, [["deemed_rate", 0.055]], *args))
    assert each == first  # the memo changes no result


def test_the_memo_is_bounded(excel, core_calls):
    for i in range(40):
        excel.call("SPV_IRR", EXAMPLE_VALUES, EXAMPLE_DATES, "Japan", 0.03 + i / 1000, None)
    assert len(core_calls) == 40
    assert len(excel.module._MEMO._items) == excel.module._MEMO.entries == 16


def test_the_memo_tells_types_apart_and_keeps_no_errors(excel, core_calls):
    values, dates = small()
    assert excel.call("SPV_IRR", values, dates, "Japan", 0.10, None)[0][0] == pytest.approx(0.10, abs=0.05)
    # TRUE == 1 and 60 == 60.0 in Python: the key holds each cell's type, so TRUE is still refused
    as_bool = [[-100.0], [True], [200.0]]
    message = excel.error("SPV_IRR", as_bool, dates, "Japan", 0.10, None)
    assert message.startswith("#VALUE! values row 2")
    assert excel.error("SPV_IRR", as_bool, dates, "Japan", 0.10, None) == message  # checked again
    assert len(core_calls) == 1 + 2  # the good call, then each bad call reaching the core


def test_computing_functions_are_cached_in_the_add_in(excel):
    cached = {name for name in FUNCTIONS if getattr(excel.module, name).__xlfunc__.get("cache")}
    assert cached == {"SPV_PAYOUT", "SPV_IRR", "THRESHOLD_DATE", "SPV_WATERFALL", "SPV_RATE_GRID"}


# --- the per-cell cost: xlwings's Pyodide probe ----------------------------------------------------


def test_the_probe_guard_matches_the_installed_xlwings(excel):
    """Fails when xlwings changes: then measure the probe again and update PYODIDE_PROBE_XLWINGS."""
    import xlwings.pro._xlofficejs as officejs
    import xlwings.utils

    assert excel.xlwings.__version__ in excel.module.PYODIDE_PROBE_XLWINGS
    assert "from pyodide.ffi import JsNull" in inspect.getsource(xlwings.utils.is_jsnull)
    assert "except ImportError" in inspect.getsource(xlwings.utils.is_jsnull)
    assert "_is_jsnull(value)" in inspect.getsource(officejs._clean_value_data_element)  # once per cell


def test_the_probe_is_skipped_on_the_office_js_path_only(excel):
    assert excel.module.PYODIDE_PROBE_SKIPPED is True
    assert sys.modules["pyodide"] is None and sys.modules["pyodide.ffi"] is None
    plain = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, udfs; print(udfs.PYODIDE_PROBE_SKIPPED, 'pyodide' in sys.modules)",
        ],  # noqa: E501
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "XLWINGS_ON_SERVER"},
        cwd=ROOT,
        check=True,
    )
    assert plain.stdout.split() == ["False", "False"]  # a plain import (CLI, tests, classic) changes nothing


def test_results_are_the_same_with_the_probe(excel, core_calls):
    values = [*EXAMPLE_VALUES, [None], [""], [None]]  # blank cells at the end: what the probe looks for
    dates = [*EXAMPLE_DATES, [None], [None], [None]]
    skipped = excel.call("SPV_WATERFALL", values, dates, 0.055, None)
    del sys.modules["pyodide"], sys.modules["pyodide.ffi"]
    try:
        excel.module._MEMO.clear()
        probed = excel.call("SPV_WATERFALL", values, dates, 0.055, None)
    finally:
        sys.modules["pyodide"] = sys.modules["pyodide.ffi"] = None
    assert probed == skipped


def test_risk_spills_name_value_rows_and_caps_the_scenarios(excel):
    """SPV_RISK (issue 17): the degenerate model's figures are the waterfall's own; the cap is enforced."""
    off = [["rate_vol", 0], ["cash_vol", 0], ["delay_months", 0], ["stop_hazard", 0]]
    rows = excel.call("SPV_RISK", column(SMALL_VALUES), column(SERIALS), [[0.1]], 50, 1, off)
    figures = {r[0]: r[1] for r in rows}
    assert figures["recovery_probability"] == 1.0 and figures["scenarios"] == 50
    assert figures["unrecovered_p95"] == 0.0
    with pytest.raises(Exception, match="scenarios: 100,001 is outside 1 to 100,000"):
        excel.call("SPV_RISK", column(SMALL_VALUES), column(SERIALS), [[0.1]], 100001, 1, None)
