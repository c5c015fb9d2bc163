"""Text is text: a string from a user is written as a string cell in every workbook xlspv writes.

Hostile strings (formula starts ``=``, ``+``, ``-``, ``@``, a tab, a carriage return, a DDE payload)
go through every writer as notes, names, ids, sectors, comments, the money unit, an input file name
and the command line's ``--unit``. Each workbook is read back: no formula cell holds a marker, and
every marker is found as text, unchanged (issue 13, "Text is text").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile
from pathlib import Path

import pytest
from conftest import run_cli
from openpyxl import load_workbook

from xlspv.examples import portfolio as example_portfolio
from xlspv.portfolio.analyse import analyse
from xlspv.terms import Terms
from xlspv.workbooks.portfolio_report import write_portfolio_report
from xlspv.workbooks.portfolio_writer import save_inputs
from xlspv.workbooks.reader import SpvInput
from xlspv.workbooks.report import write_report

#: Each starts as a spreadsheet would read a formula (or a DDE call) and carries a marker ``XQ<n>``.
HOSTILE = [
    '=HYPERLINK("http://x","XQ0")',
    "+XQ1+1",
    "-XQ2-1",
    "@SUM(XQ3)",
    "\t=XQ4",
    "\r=XQ5",
    "=cmd|' /C calc'!XQ6",
    "=XQ7",
]


def _cells(path: Path) -> list[tuple[str, str, object, str]]:
    """Every non-empty cell as (sheet, coordinate, value, data type)."""
    wb = load_workbook(path)
    return [
        (ws.title, cell.coordinate, cell.value, cell.data_type)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def _assert_text(path: Path, hostile: list[str]) -> None:
    cells = _cells(path)
    formulas = [c for c in cells if c[3] == "f" and "XQ" in str(c[2])]
    assert formulas == [], f"user text written as formulas: {formulas[:5]}"
    texts = {c[2] for c in cells if c[3] == "s"}
    for s in hostile:
        # XML reading turns a carriage return openpyxl wrote raw into a line feed; the streamed rows
        # keep it (&#13;). Either way the cell is text starting where the user's string starts.
        assert s in texts or s.replace("\r", "\n") in texts, f"{s!r} not found as text in {path.name}"
    with zipfile.ZipFile(path) as package:  # and in the XML: no <f> element carries a marker
        for name in package.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = package.read(name).decode()
                assert "<f>" not in xml or all(
                    "XQ" not in f.split("</f>")[0] for f in xml.split("<f>")[1:]
                ), name


def test_report_writes_user_text_as_text(tmp_path: Path) -> None:
    dates = [dt.date(2025, 1, 1) + dt.timedelta(days=90 * i) for i in range(len(HOSTILE))]
    values = [-100.0] + [20.0] * (len(HOSTILE) - 1)
    source = tmp_path / "=XQ8 flows.csv"
    source.write_text("date,value\n2025-01-01,-100\n", encoding="utf-8")
    spv = SpvInput(dates, values, HOSTILE, name="=XQ9()", source=None)
    out = write_report(spv, Terms(0.05), tmp_path / "r.xlsx", unit="=XQ10", input_path=source, name="@XQ11")
    _assert_text(out, [*HOSTILE, "=XQ8 flows.csv", "=XQ10"])


def test_report_command_unit_is_text(tmp_path: Path) -> None:
    out = tmp_path / "cli.xlsx"
    result = run_cli("report", "-o", str(out), "-q", "--unit", '=HYPERLINK("http://x","XQ12")')
    assert result.exit_code == 0, result.output
    cells = _cells(out)
    units = [c for c in cells if "XQ12" in str(c[2])]
    assert len(units) > 20 and {c[3] for c in units} == {"s"}  # every unit column and label
    assert [c for c in cells if c[3] == "f" and "XQ" in str(c[2])] == []


def _hostile_portfolio() -> object:
    p = example_portfolio.portfolio()
    spvs = tuple(
        dataclasses.replace(
            s,
            id=f"{HOSTILE[i % len(HOSTILE)]}#{i}",
            name=HOSTILE[(i + 1) % len(HOSTILE)],
            comment=HOSTILE[(i + 2) % len(HOSTILE)],
        )
        for i, s in enumerate(p.spvs)
    )
    return dataclasses.replace(p, spvs=spvs)


def test_portfolio_report_writes_user_text_as_text(tmp_path: Path) -> None:
    portfolio = _hostile_portfolio()
    result = analyse(portfolio, readings=True, rates=[0.04, 0.06])
    out = write_portfolio_report(result, tmp_path / "p.xlsx")
    names = [s.name for s in portfolio.spvs]
    ids = [s.id for s in portfolio.spvs]
    _assert_text(out, sorted(set(names)) + ids)


def test_portfolio_inputs_write_user_text_as_text(tmp_path: Path) -> None:
    portfolio = _hostile_portfolio()
    out = save_inputs(portfolio, tmp_path / "inputs.xlsx")
    _assert_text(out, [s.id for s in portfolio.spvs] + sorted({s.comment for s in portfolio.spvs}))


@pytest.mark.parametrize("text", HOSTILE)
def test_the_one_helper_types_text_as_text(text: str) -> None:
    from openpyxl import Workbook

    from xlspv.workbooks.style import write_text

    ws = Workbook().active
    assert write_text(ws, 1, 1, text).data_type == "s"
    assert ws["A1"].value == text


def test_characters_xml_cannot_carry_are_shown_and_the_workbook_stays_well_formed(tmp_path: Path) -> None:
    """U+FFFE, U+FFFF and a lone surrogate in a name or a sector: XML 1.0 cannot carry them, so a sheet
    holding one is not well-formed (Excel offers to repair the file); each is written as U+FFFD
    (found by review: a name ``bad\\ufffename`` from a CSV broke three sheets)."""
    import xml.dom.minidom

    p = example_portfolio.portfolio()
    bad = ["bad\ufffename", "sector\uffff", "lone\ud800surrogate"]
    spvs = tuple(
        dataclasses.replace(s, name=bad[i % 3], sector=bad[(i + 1) % 3]) for i, s in enumerate(p.spvs)
    )
    out = write_portfolio_report(
        analyse(dataclasses.replace(p, spvs=spvs), rates=[0.05]), tmp_path / "p.xlsx"
    )
    with zipfile.ZipFile(out) as package:
        for name in package.namelist():
            if name.endswith(".xml"):
                xml.dom.minidom.parseString(package.read(name))  # raises on a character XML forbids
    texts = {c[2] for c in _cells(out) if c[3] == "s"}
    assert {"bad\ufffdname", "sector\ufffd", "lone\ufffdsurrogate"} <= texts
