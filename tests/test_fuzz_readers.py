"""Fuzz the readers: whatever the file holds, reading ends in a result or one clear ``SpvError``.

Random bytes, random cell contents and mutated valid files (bytes of the package, and bytes of the XML
inside it) go through the one-SPV reader (``read_input``: CSV and xlsx) and the portfolio reader
(``load_portfolio``: xlsx and a CSV folder). Any other exception, a traceback, is a bug. Bounded: few
examples each, no deadline (the machine is shared); the seed database is off so runs are repeatable
with ``--hypothesis-seed``.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlspv.errors import SpvError
from xlspv.workbooks.portfolio_reader import load_portfolio
from xlspv.workbooks.reader import read_input

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def ends_cleanly(read: Callable[[Path], Any], path: Path) -> None:
    """Read ``path``: a result, or an ``SpvError`` with a one-paragraph message naming something."""
    try:
        read(path)
    except SpvError as exc:
        assert str(exc).strip(), "an error without a message"


def _in_temp(name: str, data: bytes, read: Callable[[Path], Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        ends_cleanly(read, path)
        assert path.read_bytes() == data  # the input is never modified


# --- CSV ------------------------------------------------------------------------------------------

cell_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["2025-01-01", "2025-02-30", "-100", "1e308", "1e309", "nan", "inf", "0,5", "5%", "", " "]
    ),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat),
)


@FUZZ
@given(st.binary(max_size=2000))
def test_csv_random_bytes(data: bytes) -> None:
    _in_temp("flows.csv", data, read_input)


@FUZZ
@given(
    st.lists(st.sampled_from(["date", "value", "note", "Value ($m)", "x", ""]), min_size=1, max_size=4),
    st.lists(st.lists(cell_text, max_size=5), max_size=8),
)
def test_csv_random_cells(header: list[str], rows: list[list[str]]) -> None:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    _in_temp("flows.csv", out.getvalue().encode("utf-8", "surrogatepass"), read_input)


@FUZZ
@given(
    st.lists(st.lists(cell_text, max_size=6), max_size=6),
    st.lists(st.lists(cell_text, max_size=4), max_size=8),
)
def test_portfolio_csv_folder_random_cells(spvs: list[list[str]], flows: list[list[str]]) -> None:
    import csv

    def text(header: list[str], rows: list[list[str]]) -> bytes:
        out = io.StringIO()
        csv.writer(out).writerows([header, *rows])
        return out.getvalue().encode("utf-8", "surrogatepass")

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "spvs.csv").write_bytes(text(["spv_id", "name", "sector", "committed"], spvs))
        (Path(folder) / "flows.csv").write_bytes(text(["spv_id", "date", "value"], flows))
        ends_cleanly(load_portfolio, Path(folder))


# --- xlsx -----------------------------------------------------------------------------------------

cell_value = st.one_of(
    st.none(),
    cell_text,
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(10**15), 10**15),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.sampled_from(["=1/0", "#DIV/0!", "=NOW()", "'-2500", "\t", '=HYPERLINK("http://x","y")']),
)


def _workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    from openpyxl.utils.exceptions import IllegalCharacterError

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                try:
                    ws.cell(row=r, column=c, value=value)
                except (IllegalCharacterError, ValueError):
                    ws.cell(row=r, column=c, value="?")  # openpyxl cannot store it: not a reader's input
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@FUZZ
@given(
    st.lists(st.lists(cell_value, max_size=4), max_size=8),
    st.lists(st.lists(cell_value, max_size=3), max_size=6),
)
def test_xlsx_random_cells(flows: list[list[Any]], terms: list[list[Any]]) -> None:
    data = _workbook({"Inputs": [["Date", "Value", "Note"], *flows], "Terms": [["Term", "Value"], *terms]})
    _in_temp("spv.xlsx", data, read_input)


@FUZZ
@given(
    st.lists(st.lists(cell_value, max_size=5), max_size=6),
    st.lists(st.lists(cell_value, max_size=3), max_size=8),
)
def test_portfolio_xlsx_random_cells(spvs: list[list[Any]], flows: list[list[Any]]) -> None:
    data = _workbook(
        {
            "SPVs": [["spv_id", "name", "sector", "committed"], *spvs],
            "Flows": [["spv_id", "date", "value"], *flows],
        }
    )
    _in_temp("p.xlsx", data, load_portfolio)


@FUZZ
@given(st.binary(max_size=2000))
def test_xlsx_random_bytes(data: bytes) -> None:
    _in_temp("spv.xlsx", data, read_input)


@functools.cache
def valid(kind: str) -> bytes:
    """A filled template or a small portfolio workbook, as bytes, to mutate (built once)."""
    from xlspv.examples import portfolio as example_portfolio
    from xlspv.workbooks.portfolio_writer import save_inputs
    from xlspv.workbooks.template import write_template

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{kind}.xlsx"
        if kind == "template":
            write_template(path)
        else:
            save_inputs(example_portfolio.portfolio(), path)
        return path.read_bytes()


mutation = st.lists(
    st.tuples(st.floats(0, 1, exclude_max=True), st.binary(min_size=0, max_size=8)), min_size=1, max_size=4
)


def _mutate(data: bytes, edits: list[tuple[float, bytes]]) -> bytes:
    """Overwrite (or, for an empty replacement, cut) a few short stretches of ``data``."""
    out = bytearray(data)
    for where, new in edits:
        at = int(where * len(out))
        if new:
            out[at : at + len(new)] = new
        else:
            del out[at : at + 16]
    return bytes(out)


def _mutate_part(package: bytes, pick: float, edits: list[tuple[float, bytes]]) -> bytes:
    """Mutate the XML of one part (chosen by ``pick``) and zip the package again."""
    src = zipfile.ZipFile(io.BytesIO(package))
    names = [n for n in src.namelist() if n.endswith(".xml")]
    chosen = names[int(pick * len(names))]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, _mutate(data, edits) if name == chosen else data)
    return out.getvalue()


@FUZZ
@given(st.sampled_from(["template", "portfolio"]), mutation)
def test_mutated_package_bytes(kind: str, edits: list[tuple[float, bytes]]) -> None:
    read = read_input if kind == "template" else load_portfolio
    _in_temp(f"{kind}.xlsx", _mutate(valid(kind), edits), read)


@FUZZ
@given(st.sampled_from(["template", "portfolio"]), st.floats(0, 1, exclude_max=True), mutation)
def test_mutated_xml_inside_the_package(kind: str, pick: float, edits: list[tuple[float, bytes]]) -> None:
    read = read_input if kind == "template" else load_portfolio
    _in_temp(f"{kind}.xlsx", _mutate_part(valid(kind), pick, edits), read)
