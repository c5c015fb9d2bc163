"""The portfolio reading's column-wise shortcuts against the row-by-row reference: the same result or the
same message, bit for bit.

:func:`xlspv.portfolio.model._spv_rows` reads an SPV table column by column, each distinct text once,
and hands any table with a bad cell to the row-by-row reading, which names the first one;
:func:`xlspv.portfolio.model._flow_ids` maps flow ids written as the SPV table's own id texts without
reading them again; a table read by column numbers its rows with :class:`~xlspv.portfolio.tables.RowNumbers`
instead of an array. Hypothesis draws the odd cells (repeated and padded ids, blanks, non-text sectors,
negative and signed-zero amounts, decimal commas, dates out of range, mixed units, bad terms).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from xlspv.errors import SpvError
from xlspv.portfolio import model
from xlspv.portfolio.model import Portfolio
from xlspv.portfolio.tables import SPV_COLUMNS, RowNumbers, table_from_memory
from xlspv.workbooks.portfolio_reader import load_portfolio


@contextlib.contextmanager
def _row_by_row():
    """The reference reading: every SPV row by the row loop, every flow id read by the id rule."""
    flow_ids = model._flow_ids
    with (
        mock.patch.object(model, "_spv_rows_by_column", lambda table: None),
        mock.patch.object(model, "_flow_ids", lambda table, index, by_text=None: flow_ids(table, index)),
    ):
        yield


def _bits(x: float) -> str:
    return float(x).hex() if math.isfinite(x) else repr(x)  # -0.0 and 0.0 differ here


def _outcome(read):
    """A portfolio's every field as plain values (floats by their bits), or its error's kind and message."""
    try:
        p = read()
    except SpvError as exc:
        return type(exc).__name__, str(exc)
    spvs = [
        (s.id, s.name, s.sector, s.notice_date, _bits(s.committed), s.terms, s.comment, s.where)
        for s in p.spvs
    ]
    flows = (
        p.flow_spv.tolist(),
        p.flow_days.tolist(),
        [_bits(v) for v in p.flow_values],
        list(np.asarray(p.flow_rows).tolist()),
        [p.flow_where(j) for j in range(p.flow_spv.size)],
    )
    return spvs, flows, p.unit, p.flow_label, p.row_word


ids = st.sampled_from(["A", "B", " A ", "A", "", "C", "A\x07", "7", "7.0"])
names = st.sampled_from(["P", "", "  Q  ", "R\x07"])
sectors = st.sampled_from(["energy", "chips", "Metals", "", "  ", "AI", "shipbuilding"])
notices = st.sampled_from(["2024-11-01", "2024-11-01", " 2024-12-01", "", "1899-01-01", "2024-13-01"])
committed = st.sampled_from(["10", "-0", "0", "5.5", "-1", "", "1,500", "1,234.5", "inf", "x", " 7 "])
units = st.sampled_from(["", "$m", "usdm", "$bn", "yen"])
rates = st.sampled_from(["", "5%", "0.05", "5", "x"])
comments = st.sampled_from(["", "a note", " spaced "])
good_rows = st.tuples(  # every cell good: a table of them reads, or names a repeated id
    st.sampled_from(["A", "B", " A ", "C", "7", "7.0"]),
    st.sampled_from(["P", "", "  Q  "]),
    st.sampled_from(["energy", "chips", "Metals", "shipbuilding"]),
    st.sampled_from(["2024-11-01", " 2024-12-01", "2025-01-01T12:00"]),
    st.sampled_from(["10", "-0", "0", "5.5", "1,234.5", " 7 ", "1e3"]),
    st.sampled_from(["", "$m", "usdm"]),
    st.sampled_from(["", "5%", "0.05"]),
    comments,
)
spv_rows = st.lists(
    st.one_of(good_rows, st.tuples(ids, names, sectors, notices, committed, units, rates, comments)),
    max_size=6,
)


def _write(folder: Path, rows: list[tuple[str, ...]], extra: bool, flow_ids: list[str]) -> None:
    head = "id,name,sector,notice_date,committed" + (",unit,deemed_rate,comment" if extra else "")
    lines = [",".join(r if extra else r[:5]) for r in rows]
    (folder / "spvs.csv").write_text("\n".join([head, *lines, ""]), encoding="utf-8")
    flows = [f"{i},2025-01-31,-1" for i in flow_ids] + [f"{i},2026-01-31,2" for i in flow_ids]
    (folder / "flows.csv").write_text("\n".join(["spv_id,date,value", *flows, ""]), encoding="utf-8")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=spv_rows, extra=st.booleans(), flow_ids=st.lists(ids, min_size=1, max_size=4))
@example(rows=[("A", "P", "energy", "2024-11-01", "-0", "", "", "")], extra=False, flow_ids=["A"])
@example(  # a duplicate id below a bad sector: the sector is met first
    rows=[("A", "P", "", "2024-11-01", "1", "", "", ""), ("A", "P", "energy", "2024-11-01", "1", "", "", "")],
    extra=False,
    flow_ids=["A"],
)
@example(  # a bad unit above a bad term, and mixed units
    rows=[
        ("A", "P", "energy", "2024-11-01", "1", "$m", "5", ""),
        ("B", "P", "energy", "2024-11-01", "1", "$bn", "", ""),
    ],
    extra=True,
    flow_ids=["A", "B"],
)
@example(  # two texts of one id
    rows=[
        ("A", "P", "energy", "2024-11-01", "1", "", "", ""),
        (" A ", "P", "energy", "2024-11-01", "1", "", "", ""),
    ],
    extra=False,
    flow_ids=["A"],
)
def test_reading_by_column_gives_the_row_by_row_portfolio_or_message(
    tmp_path_factory, rows, extra, flow_ids
) -> None:
    folder = tmp_path_factory.mktemp("p")
    _write(folder, rows, extra, flow_ids)
    fast = _outcome(lambda: load_portfolio(folder))
    with _row_by_row():
        slow = _outcome(lambda: load_portfolio(folder))
    assert fast == slow


memory_cells = st.one_of(
    st.sampled_from([None, "", " ", "A", "A", "B", "energy", "2024-11-01", "-0", "3", True]),
    st.sampled_from([float("nan"), 0.0, -0.0, 1.0, 7, np.float64(-0.0), np.int64(4)]),
    st.dates(dt.date(1899, 12, 1), dt.date(2030, 1, 1)),
)


good_typed_rows = st.tuples(  # good in memory (and mostly in a workbook): the by-column reading's SPVs
    st.sampled_from(["A", "B", "C", "D", 1.0, 7, "7", np.int64(8)]),
    st.sampled_from(["P", None, 3, " Q "]),
    st.sampled_from(["energy", "chips", " Metals "]),
    st.one_of(st.dates(dt.date(1901, 1, 1), dt.date(2030, 1, 1)), st.sampled_from(["2024-11-01"])),
    st.sampled_from([0.0, -0.0, 1, 2.5, np.float64(-0.0), "5", 10**400]),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(good_typed_rows, min_size=1, max_size=3)
    | st.lists(st.one_of(good_typed_rows, st.tuples(*[memory_cells] * 5)), max_size=5),
    st.sampled_from(["memory", "xlsx", "csv"]),
)
@example(
    [("A", "P", "energy", dt.date(2024, 1, 1), -0.0), ("B", "P", "energy", dt.date(2024, 1, 1), 0.0)], "xlsx"
)
@example(
    [(1.0, "P", "energy", dt.date(2024, 1, 1), 1), ("1", "Q", "energy", dt.date(2024, 1, 1), 2)], "memory"
)
def test_typed_spv_tables_read_by_column_as_row_by_row(rows, source) -> None:
    """Typed cells (numbers, dates, booleans, signed zeros) are read each time, texts once per column,
    by the rules of each kind of source (a workbook's typed cells, a CSV file's texts, memory's both)."""
    columns = {name: [r[k] for r in rows] for k, name in enumerate(SPV_COLUMNS) if k < 5}
    table = table_from_memory("SPVs", columns, SPV_COLUMNS)
    table.source = source
    try:
        slow = model._spv_rows_by_row(table)
    except SpvError:
        slow = None
    fast = model._spv_rows_by_column(table)
    if fast is None:
        return  # handed to the row-by-row reading, which gives its message (or its SPVs)
    assert slow is not None
    assert [(*dataclass_tuple(s), _bits(s.committed)) for s in fast] == [
        (*dataclass_tuple(s), _bits(s.committed)) for s in slow
    ]


def dataclass_tuple(spv) -> tuple:
    return (spv.id, spv.name, spv.sector, spv.notice_date, spv.terms, spv.comment, spv.where)


def test_a_flow_id_written_as_another_text_of_the_same_id_is_read_by_the_id_rule() -> None:
    """``7.0`` and ``7`` are one id, ``" A "`` and ``A`` too: not found among the texts, read by the rule."""
    spvs = {
        "id": ["7", "A"],
        "name": ["P", "Q"],
        "sector": ["energy", "metals"],
        "notice_date": ["2024-11-01", "2024-11-01"],
        "committed": ["1", "2"],
    }
    flows = {"spv_id": [7.0, " A ", "7", "A"], "date": ["2025-01-31"] * 4, "value": ["-1", "-1", "2", "2"]}
    p = Portfolio.from_tables(spvs, flows)
    assert p.flow_spv.tolist() == [0, 1, 0, 1]
    with _row_by_row():
        assert Portfolio.from_tables(spvs, flows).flow_spv.tolist() == [0, 1, 0, 1]


def test_row_numbers_read_as_the_array_they_stand_for() -> None:
    rows, array = RowNumbers(3, 5), np.arange(3, 8)
    assert len(rows) == rows.size == 5
    assert [rows[i] for i in range(5)] == array.tolist() == rows.tolist() == np.asarray(rows).tolist()
    assert rows[-1] == 7 and rows[np.int64(2)] == 5
    assert rows[1:3].tolist() == [4, 5]
    with pytest.raises(IndexError):
        rows[5]
    with pytest.raises(IndexError):
        rows[-6]
    assert RowNumbers(2, 0).tolist() == [] and np.asarray(RowNumbers(2, 0)).dtype == np.int64


def test_a_program_read_by_column_names_a_flow_row_by_its_line(tmp_path: Path) -> None:
    """Lines counted by hand: the header on line 2 (line 1 blank), flows from line 3."""
    (tmp_path / "spvs.csv").write_text(
        "id,name,sector,notice_date,committed\nA,P,energy,2024-11-01,10\n", encoding="utf-8"
    )
    (tmp_path / "flows.csv").write_text(
        "\nspv_id,date,value\nA,2025-01-31,-5\nA,2026-01-31,7\n", encoding="utf-8"
    )
    p = load_portfolio(tmp_path)
    assert isinstance(p.flow_rows, RowNumbers)
    # the arrays are the reading's own, as the row-by-row reading's (numba compiles one signature)
    arrays = (p.flow_spv, p.flow_days, p.flow_values)
    assert [(a.dtype.name, a.flags.writeable) for a in arrays] == [("int64", True)] * 2 + [("float64", True)]
    assert [p.flow_where(j) for j in range(2)] == ["flows.csv, line 3", "flows.csv, line 4"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["SPV-1", "SPV-2", "", None, "nan", "10"]), max_size=40),
    st.lists(st.booleans(), min_size=40, max_size=40),
    st.booleans(),
)
def test_runs_found_by_address_factorise_as_pandas_does(cells, fresh, strided) -> None:
    """Equal texts in distinct objects and NaNs in distinct objects (as a parser's chunks give them),
    contiguous or not: pandas' codes and distinct values, codes in the categorical's integer type."""
    import pandas as pd

    from xlspv.portfolio.tables import _factorize_runs

    def obj(c, new):  # a distinct object of an equal value, or the same object
        if c == "nan":
            return float("nan")
        return c.encode().decode() if new and isinstance(c, str) and c else c  # a new object (2+ letters)

    column = np.empty(len(cells) * (2 if strided else 1), dtype=object)
    column[:] = [obj(c, f) for c, f in zip(cells * (2 if strided else 1), fresh * 2, strict=False)]
    column = column[::2] if strided else column
    codes, uniques = _factorize_runs(column)
    want_codes, want_uniques = pd.factorize(column, use_na_sentinel=True)
    np.testing.assert_array_equal(codes, want_codes)
    assert [repr(u) for u in uniques] == [repr(u) for u in want_uniques]
    assert codes.dtype == pd.Categorical.from_codes(
        want_codes, categories=want_uniques
    ).codes.dtype or not len(column)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["_x", "_X", "0007", "001F", "005F", "007f", "_", "a", "\x07", "\n", "x"]), max_size=8
    )
)
def test_the_escape_search_skipped_without_its_start_finds_what_the_pattern_finds(parts) -> None:
    """:func:`xlspv.cells.control_character` skips the escape pattern when the text holds no ``_x``."""
    from xlspv.cells import CONTROL, ESCAPED_CONTROL, control_character

    text = "".join(parts)
    found, escaped = CONTROL.search(text), ESCAPED_CONTROL.search(text)
    want = (
        f"U+{ord(found.group()):04X}"
        if found
        else (None if escaped is None else f"U+{escaped.group(1).upper()}")
    )
    assert control_character(text) == want
