"""The one number rule and the one rate rule, on the surfaces an independent review found them missing.

The number rule (:func:`xlspv.cells.number_from_text`): a comma that may be a decimal comma is refused
with the fix. The rate rule (:func:`xlspv.terms.parse_rate`): on every surface a person types (a text,
a cell), a rate of 1 or more without a per-cent sign is refused, not read as 100 times the rate; a
number given in Python is taken as it is. Each case asserts the whole message: the message is the fix.
The worked example (``xlspv.compute``'s docstring) is the SPV throughout: fund 100, get 60 and 200.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import test_udfs
from conftest import run_cli
from test_reader import filled_workbook
from test_udfs import SERIALS, SMALL_DATES, SMALL_JAPAN, SMALL_VALUES, column

import xlspv
import xlspv.cells
from xlspv.cells import number_from_text, parse_number
from xlspv.errors import AmbiguousNumberError, RiskModelError, SpvError, SpvInputError, TermsError
from xlspv.risk import RiskModel, simulate
from xlspv.workbooks.portfolio_reader import load_portfolio
from xlspv.workbooks.reader import read_input

excel = test_udfs.excel

BARE = "would be {pct} a year; write the rate as a decimal ({dec}) or with a per-cent sign ({typed}%)."
FEE_5 = "guarantee_fee: 5 " + BARE.format(pct="500%", dec="0.05", typed="5")
NEGATIVE_FEE = "is negative; a guarantee fee is a charge: enter 0 or more, e.g. 0.005 (0.5% a year)."
FLOWS_CSV = "date,value\n2025-01-01,-100\n2026-01-01,60\n2027-01-01,200\n"


def _bare(name: str, typed: str, pct: str, dec: str) -> str:
    return f"{name}: {typed} " + BARE.format(pct=pct, dec=dec, typed=typed)


# ---- 1. guarantee_fee follows the rate rule, and is never negative --------------------------------


def test_rate_rule_guarantee_fee_typed_as_text_is_refused_in_python() -> None:
    with pytest.raises(TermsError) as err:
        xlspv.Terms(0.1, guarantee_fee="5")
    assert str(err.value) == FEE_5
    assert xlspv.Terms(0.1, guarantee_fee="0.5%").guarantee_fee == pytest.approx(0.005, rel=1e-15)
    assert xlspv.Terms(0.1, guarantee_fee=1.5).guarantee_fee == 1.5  # a Python number: as it is


def test_rate_rule_guarantee_fee_cell_of_a_terms_range_is_refused() -> None:
    with pytest.raises(TermsError) as err:
        xlspv.Terms.from_mapping([("deemed_rate", 0.05), ("guarantee_fee", 5)])
    assert str(err.value) == FEE_5
    udfs = pytest.importorskip("udfs")
    with pytest.raises(TermsError) as err:
        udfs._terms([["deemed_rate", 0.05], ["guarantee_fee", 5.0]])  # the Excel functions' range
    assert str(err.value) == FEE_5
    ok = xlspv.Terms.from_mapping([("deemed_rate", 0.05), ("guarantee_fee", "0.5%")])
    assert (ok.own_rate, ok.guarantee_fee) == (0.05, 0.005)


def test_rate_rule_guarantee_fee_on_the_command_line_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(FLOWS_CSV, encoding="utf-8")
    result = run_cli("summary", str(tmp_path / "a.csv"), "--deemed-rate", "0.05", "--guarantee-fee", "5")
    assert (result.exit_code, result.stderr) == (2, f"xlspv: error: {FEE_5}\n")
    result = run_cli("summary", str(tmp_path / "a.csv"), "--deemed-rate", "0.05", "--guarantee-fee=-0.01")
    assert (result.exit_code, result.stderr) == (2, f"xlspv: error: guarantee_fee: -0.01 {NEGATIVE_FEE}\n")


def test_rate_rule_guarantee_fee_in_a_terms_sheet_is_refused_naming_the_cell(tmp_path: Path) -> None:
    path = filled_workbook(tmp_path / "spv.xlsx", terms=[("deemed_rate", 0.05), ("guarantee_fee", 5)])
    with pytest.raises(TermsError) as err:
        read_input(path).terms()
    assert str(err.value) == f"spv.xlsx, sheet Terms, cell B3: {FEE_5}"


def test_rate_rule_guarantee_fee_in_a_portfolio_spv_column_and_terms_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    head = "id,name,sector,notice_date,committed"
    (folder / "spvs.csv").write_text(f"{head},guarantee_fee\nA,P,energy,2024-11-01,10,5\n", encoding="utf-8")
    (folder / "flows.csv").write_text("spv_id,date,value\nA,2025-01-31,-1\n", encoding="utf-8")
    with pytest.raises(TermsError) as err:
        load_portfolio(folder)
    assert str(err.value) == f"spvs.csv, line 2 (SPV 'A'): {FEE_5}"
    (folder / "spvs.csv").write_text(f"{head}\nA,P,energy,2024-11-01,10\n", encoding="utf-8")
    (folder / "terms.csv").write_text("term,value\ndeemed_rate,0.05\nguarantee_fee,5\n", encoding="utf-8")
    with pytest.raises(TermsError) as err:
        load_portfolio(folder)
    assert str(err.value) == f"terms.csv: {FEE_5}"


@pytest.mark.parametrize(
    ("build", "shown"),
    [
        (lambda: xlspv.Terms(0.1, guarantee_fee=-0.2), "-0.2"),  # Python included: a fee is a charge
        (lambda: xlspv.Terms(0.1, guarantee_fee="-0.5%"), "-0.5%"),
        (lambda: xlspv.Terms.from_mapping({"deemed_rate": 0.1, "guarantee_fee": -0.002}), "-0.002"),
        (lambda: xlspv.Terms(0.05, guarantee_fee=-1e-9), "-1e-09"),
    ],
    ids=["python", "text", "range", "tiny"],
)
def test_rate_rule_a_negative_guarantee_fee_is_refused_everywhere(build, shown: str) -> None:
    with pytest.raises(TermsError) as err:
        build()
    assert str(err.value) == f"guarantee_fee: {shown} {NEGATIVE_FEE}"


def test_rate_rule_a_zero_guarantee_fee_keeps_the_rate_and_a_fee_adds_to_it() -> None:
    # the worked example at 10%: a 0 fee changes nothing; 4% + 6% fee is the 10% example itself
    plain = xlspv.compute(SMALL_VALUES, SMALL_DATES, xlspv.Terms(0.1, guarantee_fee=0))
    with_fee = xlspv.compute(SMALL_VALUES, SMALL_DATES, xlspv.Terms(0.04, guarantee_fee="6%"))
    assert plain.threshold_date == with_fee.threshold_date == dt.date(2027, 1, 1)
    assert list(with_fee.japan) == pytest.approx(SMALL_JAPAN, rel=1e-12)  # 0, 30, 88 + 2.4 by hand
    assert list(plain.japan) == pytest.approx(SMALL_JAPAN, rel=1e-12)


# ---- 2. SPV_RATE_GRID's rates: each cell follows the rate rule ------------------------------------


def test_rate_rule_rate_grid_rates_cell_of_5_is_refused_naming_the_row(excel) -> None:
    message = excel.error("SPV_RATE_GRID", column(SMALL_VALUES), column(SERIALS), 0.1, [[0.05], [5]], None)
    assert message == "#VALUE! " + _bare("rates row 2", "5", "500%", "0.05")
    message = excel.error("SPV_RATE_GRID", column(SMALL_VALUES), column(SERIALS), 0.1, [["7"]], None)
    assert message == "#VALUE! " + _bare("rates row 1", "7", "700%", "0.07")


def test_rate_rule_rate_grid_rates_text_with_a_per_cent_sign_is_read(excel) -> None:
    args = (column(SMALL_VALUES), column(SERIALS), 0.1)
    as_text = excel.call("SPV_RATE_GRID", *args, [[0.05], ["10%"]], False)
    as_numbers = excel.call("SPV_RATE_GRID", *args, [[0.05], [0.1]], False)
    assert as_text == as_numbers
    # the worked example at 10%: Japan receives 30 + 90.4 in all (by hand, xlspv.compute's docstring)
    assert as_text[1][0] == 0.1 and as_text[1][3] == pytest.approx(120.4, rel=1e-12)


# ---- 3. the risk model: the number rule for texts, the rate rule for its three rates --------------


def test_rate_rule_risk_model_text_follows_the_number_rule() -> None:
    with pytest.raises(RiskModelError) as err:
        RiskModel(cash_vol="0,3")
    assert str(err.value) == "cash_vol: '0,3' is ambiguous: write 0.3 or 30%."
    assert RiskModel(cash_vol="0.3").cash_vol == 0.3
    assert RiskModel(stop_hazard="2%").stop_hazard == 0.02


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rate_start": "5"}, _bare("rate_start", "5", "500%", "0.05")),
        ({"rate_mean": "4"}, _bare("rate_mean", "4", "400%", "0.04")),
        ({"rate_vol": "1"}, _bare("rate_vol", "1", "100%", "0.01")),
        ({"rate_start": "0,05"}, "rate_start: '0,05' is ambiguous: write 0.05 or 5%."),
    ],
    ids=["rate_start", "rate_mean", "rate_vol", "decimal-comma"],
)
def test_rate_rule_risk_model_rates_typed_as_text_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(RiskModelError) as err:
        RiskModel(**changes)
    assert str(err.value) == message


def test_rate_rule_risk_model_rates_with_a_sign_or_from_python_are_taken() -> None:
    model = RiskModel(rate_start="4%", rate_mean="3.5%", rate_vol="1%")
    assert (model.rate_start, model.rate_mean, model.rate_vol) == (0.04, 0.035, 0.01)
    assert RiskModel(rate_start=5.0, rate_vol=1.5).rate_start == 5.0  # Python numbers: as given


@pytest.mark.parametrize("cell", ["5", 5.0], ids=["text", "number"])
def test_rate_rule_risk_model_range_cells_are_refused(cell) -> None:
    with pytest.raises(RiskModelError) as err:
        RiskModel.from_mapping([["rate_start", cell]])
    assert str(err.value) == _bare("rate_start", "5", "500%", "0.05")


def test_rate_rule_risk_model_options_on_the_command_line_are_refused() -> None:
    result = run_cli("risk", "-q", "--rate-start", "5")
    assert (result.exit_code, result.stderr) == (
        2,
        "xlspv: error: " + _bare("rate_start", "5", "500%", "0.05") + "\n",
    )
    result = run_cli("risk", "-q", "--cash-vol", "0,3")
    assert (result.exit_code, result.stderr) == (
        2,
        "xlspv: error: cash_vol: '0,3' is ambiguous: write 0.3 or 30%.\n",
    )


def test_rate_rule_spv_risk_model_range_is_refused(excel) -> None:
    args = (column(SMALL_VALUES), column(SERIALS), [[0.1]], 10, 1)
    for cell in ("5", 5):
        message = excel.error("SPV_RISK", *args, [["rate_start", cell]])
        assert message == "#VALUE! " + _bare("rate_start", "5", "500%", "0.05")


def test_rate_rule_simulate_takes_a_mapping_as_the_model() -> None:
    given = simulate(SMALL_VALUES, SMALL_DATES, 0.1, model={"rate_vol": 0.02}, scenarios=50, seed=3)
    built = simulate(SMALL_VALUES, SMALL_DATES, 0.1, model=RiskModel(rate_vol=0.02), scenarios=50, seed=3)
    pd.testing.assert_frame_equal(given.distributions, built.distributions)
    with pytest.raises(RiskModelError) as err:
        simulate(SMALL_VALUES, SMALL_DATES, 0.1, model=3, scenarios=10)
    assert str(err.value) == (
        "model: 3 is not a risk model; give a RiskModel or name/value pairs such as {'rate_vol': 0.02}."
    )


# ---- 4. the number rule's error is an SpvError that lives in xlspv.errors -------------------------


def test_number_rule_ambiguous_number_error_is_an_spv_input_error() -> None:
    with pytest.raises(AmbiguousNumberError) as err:
        number_from_text("0,055", percent=True)
    assert str(err.value) == "'0,055' is ambiguous: write 0.055 or 5.5%"
    assert isinstance(err.value, SpvInputError) and isinstance(err.value, SpvError)
    assert AmbiguousNumberError.__module__ == "xlspv.errors"
    assert not hasattr(xlspv.cells, "AmbiguousNumber")  # one name, in errors.py
    with pytest.raises(SpvInputError) as err:  # a cell's message: where first, the fix last
        parse_number("1,500", "f.csv, line 2", "csv")
    assert str(err.value) == "f.csv, line 2: '1,500' is ambiguous: write 1500 or 1.5."
