"""The portfolio reader's fast paths against its cell-by-cell path: the same table or the same message.

The column paths (:func:`xlspv.portfolio.tables.table_from_columns` for CSV read by pandas,
:func:`~xlspv.portfolio.tables.table_from_grid` for sheets read by python-calamine) must accept exactly
what the cell-by-cell path (:func:`~xlspv.portfolio.tables.table_from_rows`, openpyxl for workbooks)
accepts, read the same numbers and dates, and refuse the rest with the same first message. Hypothesis
draws the cell contents, including the hostile ones (blanks, decimal commas, control characters,
dates before 1900, extra fields, blank lines).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from xlspv.errors import SpvError, SpvInputError
from xlspv.portfolio.model import build
from xlspv.portfolio.tables import FLOW_COLUMNS, FLOW_REQUIRED, SPV_COLUMNS, SPV_REQUIRED, table_from_rows
from xlspv.workbooks import portfolio_reader
from xlspv.workbooks.portfolio_reader import load_portfolio
from xlspv.workbooks.sources import csv_lines

SPVS_CSV = "id,name,sector,notice_date,committed\nA,P,energy,2024-11-01,10\nB,Q,metals,2024-12-01,5\n"

ids = st.sampled_from(["A", "B", " A ", "", "C", "A\x07"])
dates = st.sampled_from(
    ["2025-01-31", "2025-02-28", "2026-03-31", "", "1899-12-31", "1900-02-28", "2025-13-01", " 2025-01-31 "]
)
values = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False).map(repr),
    st.sampled_from(["", "1e3", "-0", "inf", "nan", "NA", "0,5", "1_000", " 7 ", "+.5", "5."]),
)
rows = st.lists(
    st.one_of(
        st.tuples(ids, dates, values).map(",".join),
        st.tuples(ids, dates, values, st.sampled_from(["", "x"])).map(",".join),  # a field too many
        st.sampled_from(["", ",,"]),  # blank lines
    ),
    min_size=1,
    max_size=12,
)


def _outcome(read):
    """A portfolio's flows as plain lists, or the message of the error it raised."""
    try:
        p = read()
    except SpvError as exc:
        return type(exc).__name__, str(exc)
    return p.flow_rows.tolist(), p.flow_spv.tolist(), p.flow_days.tolist(), p.flow_values.tolist()


def _slow_csv(folder: Path):
    spvs = table_from_rows(
        "spvs.csv", csv_lines(folder / "spvs.csv"), SPV_COLUMNS, SPV_REQUIRED, source="csv"
    )
    flows = table_from_rows(
        "flows.csv", csv_lines(folder / "flows.csv"), FLOW_COLUMNS, FLOW_REQUIRED, source="csv"
    )
    return build(spvs, flows)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=rows, crlf=st.booleans())
@example(body=["A,1899-12-31,0.0", "A,,0.0"], crlf=False)  # a bad date above a blank one: named first
@example(body=["A\x07,2025-01-31,1", ",2025-01-31,1"], crlf=False)  # a bad id above a blank one
def test_the_csv_column_path_and_the_line_path_agree(tmp_path_factory, body, crlf) -> None:
    folder = tmp_path_factory.mktemp("csv")
    (folder / "spvs.csv").write_text(SPVS_CSV, encoding="utf-8")
    end = "\r\n" if crlf else "\n"
    (folder / "flows.csv").write_bytes(end.join(["spv_id,date,value", *body, ""]).encode())
    assert _outcome(lambda: load_portfolio(folder)) == _outcome(lambda: _slow_csv(folder))


cells = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from([None, "", "  ", "-5", "2025-01-31", True, "A\x07"]),
    st.dates(dt.date(1899, 6, 1), dt.date(2030, 1, 1)),
    st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)),
)
xlsx_rows = st.lists(
    st.tuples(st.sampled_from(["A", "B", 1.0, None, "Z"]), cells, cells), min_size=1, max_size=10
)


def _write(path: Path, flows: list[tuple]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "SPVs"
    ws.append(["id", "name", "sector", "notice_date", "committed"])
    ws.append(["A", "P", "energy", dt.date(2024, 11, 1), 10])
    ws.append(["B", "Q", "metals", dt.date(2024, 12, 1), 5])
    ws.append([1, "R", "metals", dt.date(2024, 12, 1), 5])
    wf = wb.create_sheet("Flows")
    wf.append(["spv_id", "date", "value"])
    for row in flows:
        wf.append([c.replace("\x07", "_x0007_") if isinstance(c, str) else c for c in row])
    wb.save(path)
    return path


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flows=xlsx_rows)
# a day before 1900 in a date cell: calamine reads its serial (-212) as the time 00:00 (found by this test)
@example(flows=[("A", dt.date(1899, 6, 1), 0.0)])
def test_the_calamine_path_and_the_openpyxl_path_agree(tmp_path_factory, flows) -> None:
    path = _write(tmp_path_factory.mktemp("xlsx") / "p.xlsx", flows)
    fast = _outcome(lambda: load_portfolio(path))
    slow = _outcome(lambda: portfolio_reader._load_xlsx_openpyxl(path))
    if fast != slow and isinstance(slow[1], str) and "control character" in fast[1]:
        # openpyxl reads the XML escape _x0007_ as written; both refuse it, naming the same cell
        assert slow[1].split(":")[0] == fast[1].split(":")[0]
        return
    assert fast == slow


def test_the_calamine_path_reads_the_program_workbook_as_openpyxl_does(tmp_path: Path) -> None:
    flows = [
        ("A", dt.date(2025, 1, 31), -10.0),
        ("B", dt.datetime(2025, 2, 28, 13), -5.0),
        (1.0, dt.date(2026, 1, 1), 3),
    ]
    path = _write(tmp_path / "p.xlsx", flows)
    fast, slow = load_portfolio(path), portfolio_reader._load_xlsx_openpyxl(path)
    assert fast.ids == slow.ids == ["A", "B", "1"]
    np.testing.assert_array_equal(fast.flow_days, slow.flow_days)
    np.testing.assert_array_equal(fast.flow_values, [-10.0, -5.0, 3.0])
    assert fast.flow_rows.tolist() == [2, 3, 4]


def test_a_csv_row_wider_than_its_header_is_refused_naming_the_line_on_the_column_path(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "spvs.csv").write_text(SPVS_CSV, encoding="utf-8")
    (folder / "flows.csv").write_text(
        "spv_id,date,value\n" + "A,2025-01-31,-1\n" * 50 + "A,2025-02-28,-1,5\n", encoding="utf-8"
    )
    with pytest.raises(SpvInputError) as err:
        load_portfolio(folder)
    assert str(err.value) == (
        "flows.csv, line 52: column 4 holds '5' but has no column name; name the column or clear it."
    )


def test_a_control_character_in_a_portfolio_csv_is_refused_naming_line_and_column(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "spvs.csv").write_text(SPVS_CSV.replace("P,energy", "P\x1b,energy"), encoding="utf-8")
    (folder / "flows.csv").write_text("spv_id,date,value\nA,2025-01-31,-1\n", encoding="utf-8")
    with pytest.raises(SpvInputError) as err:
        load_portfolio(folder)
    assert str(err.value) == (
        "spvs.csv, line 2, column name: remove the control character U+001B from the text 'P\\x1b'."
    )


def test_a_date_before_1900_in_a_portfolio_csv_is_refused_naming_the_line(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "spvs.csv").write_text(SPVS_CSV, encoding="utf-8")
    (folder / "flows.csv").write_text(
        "spv_id,date,value\nA,2025-01-31,-1\nA,1899-12-30,5\n", encoding="utf-8"
    )
    with pytest.raises(SpvInputError) as err:
        load_portfolio(folder)
    assert str(err.value) == (
        "flows.csv, line 3, column date: '1899-12-30' is outside Excel's date range (1 March 1900 to 31 "
        "December 9999); enter a real date."
    )


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_an_spv_deemed_rate_typed_as_a_bare_5_is_refused_not_read_as_500_percent(
    tmp_path, engine, monkeypatch
):
    # the one rate rule of every typed surface (xlspv.terms.parse_rate), as for --deemed-rate 5
    from xlspv.errors import TermsError
    from xlspv.workbooks.portfolio_writer import write_example_inputs

    path = write_example_inputs(tmp_path / "program.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["SPVs"]
    header = next(r for r in ws.iter_rows() if any(c.value == "deemed_rate" for c in r))
    column = next(c.column for c in header if c.value == "deemed_rate")
    row = header[0].row + 1
    ws.cell(row=row, column=column).value = 5
    wb.save(path)
    if engine == "openpyxl":  # the fallback path reads the same cell by the same rule
        monkeypatch.setattr(portfolio_reader, "_load_xlsx", portfolio_reader._load_xlsx_openpyxl)
    with pytest.raises(TermsError) as err:
        load_portfolio(path)
    assert str(err.value).endswith(
        "deemed_rate: 5 would be 500% a year; write the rate as a decimal (0.05) or with a per-cent sign "
        "(5%)."
    ), str(err.value)
    assert f"row {row}" in str(err.value)


def _plain_by_hand(data: bytes) -> bool:
    """The plain-file rule byte by byte: no control character but tab, LF and CR, and every CR
    followed by LF."""
    for i, b in enumerate(data):
        if b == 13 and (i + 1 == len(data) or data[i + 1] != 10):
            return False
        if (b < 32 and b not in (9, 10, 13)) or b == 127:
            return False
    return True


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(st.sampled_from(b"ab,\r\n\t\x1b\x7f\x00"), max_size=40).map(bytes), chunk=st.integers(1, 9)
)
def test_the_plain_byte_check_agrees_with_the_rule_byte_by_byte(data: bytes, chunk: int) -> None:
    """Counted in chunks (a CR and its LF may fall either side of a chunk's end), the same verdict."""
    from xlspv.workbooks import sources

    original = sources._CHUNK
    sources._CHUNK = chunk
    try:
        assert sources._plain_bytes(data) == _plain_by_hand(data)
    finally:
        sources._CHUNK = original


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["A", "B", "A ", "", None, float("nan"), "1"]), max_size=30))
def test_factorising_runs_of_ids_is_pandas_factorize(cells: list) -> None:
    """Hashing one cell per run of equal cells gives pandas' codes (-1 for None/NaN) and distinct
    values in order of first appearance."""
    import pandas as pd

    from xlspv.portfolio.tables import _factorize_runs

    column = np.empty(len(cells), dtype=object)
    column[:] = cells
    codes, uniques = _factorize_runs(column)
    want_codes, want_uniques = pd.factorize(column, use_na_sentinel=True)
    np.testing.assert_array_equal(codes, want_codes)
    assert list(uniques) == list(want_uniques)
