"""The streamed row blocks (xlspv/workbooks/streamed.py): what is generated as XML reads back as written.

Each workbook is saved and read back with openpyxl (an independent XML reader of the package), so the
expected values are the inputs themselves: numbers exactly (written as the shortest text that reads
back to the same double), dates as the same days, text as text (never a formula, whatever it starts
with), formulas with the row filled in, blanks blank but keeping their column's number format.
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from xlspv.errors import SpvError
from xlspv.workbooks import streamed
from xlspv.workbooks.streamed import Column, StreamedWorkbook
from xlspv.workbooks.style import DATE, MONEY, print_setup, write_text

HOSTILE = ['=HYPERLINK("http://x","a")', "+1+1", "-2-1", "@SUM(A1)", "\t=1", "=cmd|' /C calc'!A0"]


def _book(tmp_path: Path, columns, data, n: int, *, first: int = 3, name: str = "b.xlsx"):
    wb = StreamedWorkbook()
    ws = wb.active
    ws.title = "S"
    write_text(ws, 1, 1, "header")
    wb.stream_columns(ws, first, n, columns, data)
    path = tmp_path / name
    wb.save(path)
    return load_workbook(path)["S"], path


def test_each_kind_reads_back_as_written(tmp_path: Path) -> None:
    day = dt.date(2026, 11, 27)
    columns = [
        Column("n", MONEY),
        Column("n"),
        Column("n", MONEY),
        Column("d", DATE),
        Column("s"),
        Column("f", MONEY),
        Column("f"),
    ]
    data = [
        np.array([1.5, np.nan, -0.1, np.inf, 1e300, 2 / 3]),
        np.array([1, 2, 3, 4, 5, 6], dtype=np.int64),
        [None, True, 7, np.float64(0.25), np.int32(-3), float("nan")],
        [day, None, pd.NaT, dt.datetime(2026, 1, 2, 12, 0), pd.Timestamp("2030-06-30"), day],
        ["plain", None, float("nan"), "a & b < c > d", " padded ", "x\ry"],
        "=A{r}*2",
        ["=SUM(A1:A2)", None, '=IF(A1>0,"a&b","<")', "=A1", "=B1", "=1"],
    ]
    ws, _ = _book(tmp_path, columns, data, 6)
    got = [[ws.cell(row=3 + i, column=c + 1).value for c in range(7)] for i in range(6)]
    assert [r[0] for r in got] == [1.5, None, -0.1, None, 1e300, 2 / 3]
    assert [r[1] for r in got] == [1, 2, 3, 4, 5, 6]
    assert [r[2] for r in got] == [None, True, 7, 0.25, -3, None]
    assert [r[3] for r in got] == [
        dt.datetime(2026, 11, 27),
        None,
        None,
        dt.datetime(2026, 1, 2, 12, 0),
        dt.datetime(2030, 6, 30),
        dt.datetime(2026, 11, 27),
    ]
    assert [r[4] for r in got][:5] == ["plain", None, None, "a & b < c > d", " padded "]
    assert got[5][4] in ("x\ry", "x\ny")  # openpyxl's reader may turn the kept CR into LF
    assert [r[5] for r in got] == [f"=A{3 + i}*2" for i in range(6)]
    assert [r[6] for r in got] == ["=SUM(A1:A2)", None, '=IF(A1>0,"a&b","<")', "=A1", "=B1", "=1"]
    # a blank in a styled column keeps the column's format (a value typed there is formatted)
    assert ws["A4"].value is None and ws["A4"].number_format == MONEY
    assert ws["D4"].value is None and ws["D4"].number_format == DATE
    assert ws["A3"].number_format == MONEY and ws["D3"].number_format == DATE
    assert ws["B3"].number_format == "General"


def test_text_columns_write_every_value_as_text(tmp_path: Path) -> None:
    ws, path = _book(tmp_path, [Column("s"), Column("s")], [HOSTILE, list(range(len(HOSTILE)))], len(HOSTILE))
    for i, text in enumerate(HOSTILE):
        assert (ws.cell(row=3 + i, column=1).value, ws.cell(row=3 + i, column=1).data_type) == (text, "s")
        assert ws.cell(row=3 + i, column=2).value == str(i)  # a number in a text column is its text
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml


def test_control_characters_are_shown_and_long_text_is_cut(tmp_path: Path) -> None:
    long = "x" * 40_000
    ws, _ = _book(tmp_path, [Column("s")], [["bell\x07", long]], 2)
    assert ws["A3"].value == "bell\u2407"  # its control picture, as style.write_text writes it
    assert len(ws["A4"].value) == 32_767 and ws["A4"].value.endswith("the input had 40,000]")


@pytest.mark.parametrize("chunk", [1, 6, 32_768])
def test_chunks_and_stored_rows_interleave_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(streamed, "CHUNK_CELLS", chunk)  # 1, 3 and all rows of two columns
    wb = StreamedWorkbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = "top"
    ws["B12"] = "below the first block"
    ws["A30"] = "last"
    wb.stream_columns(ws, 2, 10, [Column("n"), Column("f")], [np.arange(10.0), "=A{r}+1"])
    wb.stream_rows(ws, 13, 7, [Column("n"), None, Column("s")], lambda i: (i, "ignored", f"t{i}"))
    print_setup(ws)
    assert ws.print_area == "'S'!$A$1:$C$30"
    path = tmp_path / "c.xlsx"
    wb.save(path)
    back = load_workbook(path)["S"]
    assert [back.cell(row=r, column=1).value for r in range(2, 12)] == [float(i) for i in range(10)]
    assert [back.cell(row=r, column=2).value for r in range(2, 12)] == [f"=A{r}+1" for r in range(2, 12)]
    assert back["B12"].value == "below the first block" and back["A30"].value == "last"
    assert [back.cell(row=r, column=3).value for r in range(13, 20)] == [f"t{i}" for i in range(7)]
    assert all(back.cell(row=r, column=2).value is None for r in range(13, 20))
    rows = [
        int(x.split('"')[0])
        for x in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode().split('<row r="')[1:]
    ]
    assert rows == sorted(rows) and len(rows) == len(set(rows))  # every row once, in order
    assert back.dimensions == "A1:C30"


def test_mistakes_are_refused(tmp_path: Path) -> None:
    wb = StreamedWorkbook()
    ws = wb.active
    with pytest.raises(ValueError, match="formula column"):
        wb.stream_columns(ws, 1, 2, [Column("n")], ["=A{r}"])
    with pytest.raises(ValueError, match="3 values for 2 rows"):
        wb.stream_columns(ws, 1, 2, [Column("n")], [[1, 2, 3]])
    with pytest.raises(ValueError, match="2 data"):
        wb.stream_columns(ws, 1, 2, [Column("n")], [[1, 2], [3, 4]])
    with pytest.raises(SpvError, match="would pass Excel's grid"):
        wb.stream_columns(ws, 1_048_576, 2, [Column("n")], [[1, 2]])
    wb.stream_columns(ws, 5, 2, [Column("n")], [[1, 2]])
    with pytest.raises(ValueError, match="may not overlap"):
        wb.stream_columns(ws, 6, 2, [Column("n")], [[1, 2]])
    ws["A5"] = "stored where a streamed row goes"
    with pytest.raises(ValueError, match="both stored and streamed"):
        wb.save(tmp_path / "x.xlsx")


finite = st.floats(allow_nan=False, allow_infinity=False)
# Text a cell can hold as written: no control characters but tab and line feed (CR is read back as LF).
cell_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x0b\x0c\ufffe\uffff"), max_size=40
).filter(lambda t: all(ord(c) >= 32 or c in "\t\n" for c in t))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(finite, cell_text, st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31))), max_size=12)
)
def test_values_round_trip(tmp_path_factory: pytest.TempPathFactory, rows: list) -> None:
    tmp = tmp_path_factory.mktemp("rt")
    numbers, texts, days = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [])
    columns = [Column("n"), Column("s"), Column("d", DATE)]
    ws, _ = _book(tmp, columns, [np.array(numbers, dtype=float), texts, days], len(rows))
    for i, (number, text, day) in enumerate(rows):
        assert ws.cell(row=3 + i, column=1).value == number  # the same double
        assert (ws.cell(row=3 + i, column=2).value or "") == text  # an empty text reads back blank
        assert ws.cell(row=3 + i, column=3).value == dt.datetime.combine(day, dt.time())


def test_the_portfolio_report_streams_its_tables_as_computed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every streamed table of the portfolio report reads back as the result holds it, across chunks
    of two rows (the report's Checks tie the same cells by formula; this reads them directly)."""
    from xlspv.examples import portfolio as example_portfolio
    from xlspv.portfolio.analyse import analyse
    from xlspv.workbooks.portfolio_report import SPV_COLUMNS, write_portfolio_report

    monkeypatch.setattr(streamed, "CHUNK_CELLS", 40)
    result = analyse(example_portfolio.portfolio(), readings=True, rates=[0.04, 0.06])
    wb = load_workbook(write_portfolio_report(result, tmp_path / "p.xlsx"))
    spvs, table = wb["SPVs"], result.spvs
    n = len(table)
    assert n > 2 and spvs["A5"].value == "SPV ID"
    for c, (key, _header, unit) in enumerate(SPV_COLUMNS, start=1):
        got = [spvs.cell(row=6 + i, column=c) for i in range(n)]
        if key == "multiple":
            assert [g.value for g in got] == [f"=IF(F{6 + i}>0,H{6 + i}/F{6 + i},0)" for i in range(n)]
            continue
        for g, want in zip(got, table[key].tolist(), strict=True):
            if want is None or (isinstance(want, float) and math.isnan(want)):
                assert g.value is None
            elif unit == "date":
                assert g.value == dt.datetime.combine(want, dt.time())
            elif unit == "text":
                assert (g.value, g.data_type) == (want, "s")
            else:
                assert g.value == want, (key, g.coordinate)
        if unit == "date":  # a blank date keeps its format
            assert {g.number_format for g in got} == {DATE}
    assert spvs.cell(row=6 + n, column=1).value is None  # nothing past the table
    assert spvs.print_area == f"'SPVs'!$A$1:$S${5 + n}"
    sens = wb["Sensitivity"]
    xirr = result.sensitivity.xirr_japan[:, 0, :]
    first = next(r for r in range(1, sens.max_row + 1) if sens.cell(row=r, column=1).value == "SPV ID")
    for i in range(n):
        assert sens.cell(row=first + 1 + i, column=1).value == table["id"].iloc[i]
        for j in range(xirr.shape[1]):
            want = xirr[i, j]
            assert sens.cell(row=first + 1 + i, column=3 + j).value == (None if math.isnan(want) else want)


def test_a_datetime64_date_column_reads_back_as_its_dates(tmp_path: Path) -> None:
    # review: a datetime64 array holding a day before 1 March 1900 failed (AttributeError); a
    # nanosecond array would have been read as integers
    days = np.array(["1900-01-15", "2025-01-31", "NaT", "1900-03-01"], dtype="datetime64[D]")
    stamps = np.array(["2026-11-27T12:30", "1900-02-01", "NaT", "2030-06-30"], dtype="datetime64[ns]")
    ws, _ = _book(tmp_path, [Column("d", DATE), Column("d", DATE)], [days, stamps], 4)
    assert [ws.cell(r, 1).value for r in range(3, 7)] == [
        dt.datetime(1900, 1, 15),
        dt.datetime(2025, 1, 31),
        None,
        dt.datetime(1900, 3, 1),
    ]
    assert [ws.cell(r, 2).value for r in range(3, 7)] == [
        dt.datetime(2026, 11, 27, 12, 30),
        dt.datetime(1900, 2, 1),
        None,
        dt.datetime(2030, 6, 30),
    ]
