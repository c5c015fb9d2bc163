"""The one set of cell rules (xlspv.cells, xlspv.terms.parse_rate), pinned on every surface.

Each test is named after the rule it pins; the expected messages are written out in full. The numbers
read are worked by hand (``1,234,567.5`` is 1234567.5; ``5.5%`` is 0.055).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import run_cli
from test_reader import filled_workbook

from xlspv import Terms
from xlspv.cells import number_from_text, parse_date, parse_id, parse_number
from xlspv.errors import AmbiguousNumberError, SpvInputError, TermsError
from xlspv.workbooks.reader import read_input

# ---- numbers written as text: unambiguous or refused with the fix ---------------------------------


@pytest.mark.parametrize(
    ("text", "percent", "number"),
    [
        ("1,234,567.5", False, 1234567.5),  # a point after proper groups of three: grouping
        ("1,234.5", False, 1234.5),
        ("-1,234,567", False, -1234567.0),  # two groups or more: no decimal comma could be meant
        ("1234.5", False, 1234.5),
        ("1e3", False, 1000.0),
        ("5.5%", True, 0.055),
        ("1,234.5%", True, 12.345),
    ],
)
def test_an_unambiguous_number_text_is_read(text: str, percent: bool, number: float) -> None:
    assert number_from_text(text, percent=percent) == pytest.approx(number, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "percent", "message"),
    [
        ("0,055", True, "'0,055' is ambiguous: write 0.055 or 5.5%"),
        ("5,5%", True, "'5,5%' is ambiguous: write 5.5% or 0.055"),
        ("0,1", True, "'0,1' is ambiguous: write 0.1 or 10%"),
        ("1,500", False, "'1,500' is ambiguous: write 1500 or 1.5"),
        ("1.234,5", False, "'1.234,5' is ambiguous: write 1234.5"),
        ("12,34,567", False, "'12,34,567' is not a number"),
        ("1,23", False, "'1,23' is ambiguous: write 1.23"),
    ],
)
def test_a_decimal_comma_is_refused_with_the_fix(text: str, percent: bool, message: str) -> None:
    with pytest.raises(ValueError) as err:
        number_from_text(text, percent=percent)
    if message.endswith("is not a number"):
        assert not isinstance(err.value, AmbiguousNumberError)
    else:
        assert str(err.value) == message


def test_a_decimal_comma_in_a_csv_cell_is_refused_naming_the_cell() -> None:
    with pytest.raises(SpvInputError) as err:
        parse_number("0,5", "f.csv, line 3, column value", "csv")
    assert str(err.value) == "f.csv, line 3, column value: '0,5' is ambiguous: write 0.5."


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Terms("0,055"), "deemed_rate: '0,055' is ambiguous: write 0.055 or 5.5%."),
        (lambda: Terms("5,5%"), "deemed_rate: '5,5%' is ambiguous: write 5.5% or 0.055."),
        (
            lambda: Terms(0.05, japan_share_before="0,5"),
            "japan_share_before: '0,5' is ambiguous: write 0.5 or 50%.",
        ),
        (
            lambda: Terms.from_mapping([("deemed_rate", "0,1")]),
            "deemed_rate: '0,1' is ambiguous: write 0.1 or 10%.",
        ),
    ],
    ids=["terms-rate", "terms-percent", "terms-share", "terms-range"],
)
def test_a_decimal_comma_in_a_term_is_refused_with_the_fix(build, message: str) -> None:
    with pytest.raises(TermsError) as err:
        build()
    assert str(err.value) == message


def test_a_decimal_comma_on_the_command_line_is_refused_with_the_fix() -> None:
    result = run_cli("summary", "--deemed-rate", "0,055")
    assert result.exit_code == 2
    assert result.stderr == "xlspv: error: --deemed-rate: '0,055' is ambiguous: write 0.055 or 5.5%.\n"


def test_a_decimal_comma_in_a_workbook_terms_sheet_is_refused_naming_the_cell(tmp_path: Path) -> None:
    path = filled_workbook(tmp_path / "spv.xlsx", terms=[("deemed_rate", "0,055")])
    with pytest.raises(TermsError) as err:
        read_input(path).terms()
    assert str(err.value) == (
        "spv.xlsx, sheet Terms, cell B2: deemed_rate: '0,055' is ambiguous: write 0.055 or 5.5%."
    )


# ---- a bare 5 for a rate: refused as 500%? on every surface -----------------------------------------

BARE_FIVE = "would be 500% a year; write the rate as a decimal (0.05) or with a per-cent sign (5%)."


def test_a_bare_rate_of_one_or_more_typed_as_text_is_refused_in_python() -> None:
    with pytest.raises(TermsError) as err:
        Terms("5")
    assert str(err.value) == f"deemed_rate: 5 {BARE_FIVE}"
    with pytest.raises(TermsError) as err:
        Terms.from_mapping({"deemed_rate": 5})  # name/value rows are cells, typed or not
    assert str(err.value) == f"deemed_rate: 5 {BARE_FIVE}"
    assert Terms("5%").deemed_rate == 0.05
    assert Terms("150%").deemed_rate == 1.5  # the sign makes it explicit
    assert Terms(1.5).deemed_rate == 1.5  # a number given in Python is taken as it is (a grid, a test)


def test_a_bare_rate_of_one_or_more_is_refused_on_the_command_line() -> None:
    result = run_cli("summary", "--deemed-rate", "5")
    assert result.stderr == f"xlspv: error: --deemed-rate: 5 {BARE_FIVE}\n"


def test_a_bare_rate_of_one_or_more_is_refused_in_a_terms_sheet(tmp_path: Path) -> None:
    path = filled_workbook(tmp_path / "spv.xlsx", terms=[("deemed_rate", 5)])
    with pytest.raises(TermsError) as err:
        read_input(path).terms()
    assert str(err.value) == f"spv.xlsx, sheet Terms, cell B2: deemed_rate: 5 {BARE_FIVE}"


def test_a_bare_rate_of_one_or_more_is_refused_in_a_dated_schedule(tmp_path: Path) -> None:
    rows = [("deemed_rate", 0.05, dt.date(2025, 1, 1)), ("deemed_rate", 6, dt.date(2026, 1, 1))]
    with pytest.raises(TermsError) as err:
        Terms.from_mapping(rows)
    assert str(err.value) == (
        "terms row 2: deemed_rate: 6 would be 600% a year; write the rate as a decimal (0.06) or with a "
        "per-cent sign (6%)."
    )
    path = filled_workbook(tmp_path / "spv.xlsx", terms=rows)
    with pytest.raises(TermsError) as err:
        read_input(path).terms()
    assert str(err.value) == (
        "spv.xlsx, sheet Terms, cell A3: deemed_rate: 6 would be 600% a year; write the rate as a decimal "
        "(0.06) or with a per-cent sign (6%)."
    )


def test_a_bare_rate_of_one_or_more_is_refused_in_a_portfolio_terms_file(tmp_path: Path) -> None:
    from xlspv.workbooks.portfolio_reader import load_portfolio

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "spvs.csv").write_text(
        "id,name,sector,notice_date,committed,deemed_rate\nA,P,energy,2024-11-01,10,5\n", encoding="utf-8"
    )
    (folder / "flows.csv").write_text("spv_id,date,value\nA,2025-01-31,-1\n", encoding="utf-8")
    with pytest.raises(TermsError) as err:
        load_portfolio(folder)
    assert str(err.value) == f"spvs.csv, line 2 (SPV 'A'): deemed_rate: 5 {BARE_FIVE}"
    (folder / "spvs.csv").write_text(
        "id,name,sector,notice_date,committed\nA,P,energy,2024-11-01,10\n", encoding="utf-8"
    )
    (folder / "terms.csv").write_text("term,value\ndeemed_rate,5\n", encoding="utf-8")
    with pytest.raises(TermsError) as err:
        load_portfolio(folder)
    assert str(err.value) == f"terms.csv: deemed_rate: 5 {BARE_FIVE}"


def test_a_bare_rate_of_one_or_more_is_refused_in_the_excel_functions_terms_range() -> None:
    udfs = pytest.importorskip("udfs")
    with pytest.raises(TermsError) as err:
        udfs._terms([["deemed_rate", 5.0]])
    assert str(err.value) == f"deemed_rate: 5 {BARE_FIVE}"


def test_a_rate_list_on_the_command_line_follows_the_rate_rule(tmp_path: Path) -> None:
    result = run_cli("portfolio", "-q", "--rates", "0,055", "-o", str(tmp_path / "p.xlsx"))
    assert result.exit_code == 2  # a decimal comma, or the two rates 0 and 55? refused, not guessed
    assert result.stderr == (
        "xlspv: error: --rates: '0,055' is ambiguous: the comma separates values here; write decimals "
        "with a point (e.g. 0.055, or 5.5% for a rate) and separate values with commas.\n"
    )
    result = run_cli("portfolio", "-q", "--rates", "0.04,5", "-o", str(tmp_path / "p.xlsx"))
    assert result.exit_code == 2  # a list whose item breaks the rate rule
    assert result.stderr == (
        "xlspv: error: --rates: 5 would be 500% a year; write the rate as a decimal (0.05) or with a "
        "per-cent sign (5%).\n"
    )
    assert not (tmp_path / "p.xlsx").exists()


# ---- dates: 1 March 1900 to 31 December 9999 from every source --------------------------------------


RANGE = "(1 March 1900 to 31 December 9999)"


@pytest.mark.parametrize(
    ("cell", "source", "message"),
    [
        (
            "1899-12-31",
            "csv",
            f"w: '1899-12-31' is outside Excel's date range {RANGE}; enter a real date.",
        ),
        (
            "1900-02-28",
            "csv",
            f"w: '1900-02-28' is outside Excel's date range {RANGE}; enter a real date.",
        ),
        (
            dt.date(1900, 1, 5),  # what a date-formatted cell holding 5 reads as
            "xlsx",
            f"w: 1900-01-05 is outside Excel's date range {RANGE}; enter a real date.",
        ),
        (
            dt.datetime(1850, 6, 1, 12),
            "memory",
            f"w: 1850-06-01 is outside Excel's date range {RANGE}; enter a real date.",
        ),
    ],
)
def test_a_date_before_1_march_1900_is_refused_from_every_source(cell, source: str, message: str) -> None:
    with pytest.raises(SpvInputError) as err:
        parse_date(cell, "w", source)
    assert str(err.value) == message
    assert parse_date("1900-03-01", "w", "csv") == dt.date(1900, 3, 1).toordinal()


def test_a_date_serial_below_61_in_a_date_formatted_cell_is_refused(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = filled_workbook(tmp_path / "spv.xlsx")
    wb = load_workbook(path)
    cell = wb["Inputs"]["A6"]
    cell.value, cell.number_format = 5, "yyyy-mm-dd"
    wb.save(path)
    with pytest.raises(SpvInputError) as err:
        read_input(path)
    assert str(err.value) == (
        "spv.xlsx, sheet Inputs, cell A6: 1900-01-05 is outside Excel's date range (1 March 1900 to 31 "
        "December 9999); enter a real date."
    )


def test_a_date_before_1900_in_a_csv_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("date,value\n2025-01-01,-100\n1899-06-30,50\n", encoding="utf-8")
    with pytest.raises(SpvInputError) as err:
        read_input(path)
    assert str(err.value) == (
        "f.csv, line 3, column date: '1899-06-30' is outside Excel's date range (1 March 1900 to 31 "
        "December 9999); enter a real date."
    )


# ---- control characters: refused with one line naming the cell ---------------------------------------


def test_a_control_character_in_a_csv_note_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("date,value,note\n2025-01-01,-100,ok\n2026-01-01,50,ring\x07\n", encoding="utf-8")
    with pytest.raises(SpvInputError) as err:
        read_input(path)
    assert str(err.value) == (
        "f.csv, line 3, column note: remove the control character U+0007 from the text 'ring\\x07'."
    )


def test_a_control_character_in_a_workbook_note_is_refused_naming_the_cell(tmp_path: Path) -> None:
    # openpyxl cannot write U+001B; Excel writes it in the XML as _x001B_, which openpyxl reads as is
    rows = [(dt.date(2025, 1, 1), -100.0, "esc_x001B_[0m"), (dt.date(2026, 1, 1), 50.0, "")]
    path = filled_workbook(tmp_path / "spv.xlsx", rows)
    with pytest.raises(SpvInputError) as err:
        read_input(path)
    assert str(err.value) == (
        "spv.xlsx, sheet Inputs, cell C6: remove the control character U+001B from the text 'esc_x001B_[0m'."
    )


def test_tab_and_line_feed_are_kept_in_a_note(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text('date,value,note\n2025-01-01,-100,"a\tb\nc"\n2026-01-01,50,\n', encoding="utf-8")
    assert read_input(path).notes == ["a\tb\nc", ""]


def test_a_control_character_in_an_id_is_refused_naming_the_cell() -> None:
    with pytest.raises(SpvInputError) as err:
        parse_id("A\x00", "SPVs, row 1, column id")
    assert (
        str(err.value)
        == "SPVs, row 1, column id: remove the control character U+0000 from the text 'A\\x00'."
    )


# ---- CSV rows wider than the header ------------------------------------------------------------------


def test_a_csv_row_with_more_fields_than_the_header_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("date,value\n2025-01-01,-100,5\n2026-01-01,50\n", encoding="utf-8")
    with pytest.raises(SpvInputError) as err:
        read_input(path)
    assert str(err.value) == (
        "f.csv, line 2: column 3 holds '5' but has no column name (the header, line 1, has 2); name the "
        "column or clear it."
    )
    path.write_text("date,value\n2025-01-01,-100,\n2026-01-01,50\n", encoding="utf-8")  # an empty one: fine
    assert read_input(path).values == [-100.0, 50.0]
