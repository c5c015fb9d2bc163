"""``xlspv verify``: the saved results of xlspv's functions in a workbook, checked headless, and ``--update``.

Expected values come from the core called directly on the example's flows and terms (not through any
workbook), from the stored forms Excel writes (``docs/verify.md``), or are worked by hand (a funding of
1e9 against some $100bn of distributions never reaches the threshold; the US never funds, so it has no
IRR). Workbooks are edited in their XML, as a user who saved without recalculating would leave them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from formulas_engine import UDF_ARGUMENTS
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.table import Table

import udfs
import xlspv
from xlspv.cli import main
from xlspv.dates import serial_from_ordinal
from xlspv.errors import BrokenFormulaError, UncheckedFormulaError
from xlspv.examples import spv as example
from xlspv.excel.verify import update, verify
from xlspv.excel.verify.check import RANGE_PARAMETERS
from xlspv.workbooks.files import save_workbook
from xlspv.workbooks.template import write_template
from xlspv.workbooks.verify.forms import FUNCTIONS
from xlspv.workbooks.verify.formulas import _locate, resolve

RESULTS, SENSITIVITY = "xl/worksheets/sheet4.xml", "xl/worksheets/sheet5.xml"
INPUTS = "xl/worksheets/sheet2.xml"
FUNCTION_CELLS = {
    "Results!B6",
    "Results!M6",
    "Results!M7",
    "Results!M16",
    "Results!M17",
    "Results!M18",
    "Results!M19",
    "Sensitivity!A6",
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def serial(day: dt.date) -> float:
    return float(serial_from_ordinal(day.toordinal()))


def run(*args: Any) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["verify", *map(str, args)])
    return result.exit_code, result.output


def edited(src: Path, dst: Path, part: str, pattern: str, replacement: str, count: int = 1) -> Path:
    """A copy of ``src`` with a regular-expression edit in one part's XML (``count`` matches, 0: all)."""
    with zipfile.ZipFile(src) as package:
        entries = [(info, package.read(info)) for info in package.infolist()]
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in entries:
            if info.filename == part:
                text, n = re.subn(pattern, replacement, data.decode(), count=count)
                assert n, f"{pattern!r} not found in {part}"
                data = text.encode()
            out.writestr(info, data)
    return dst


def named(output: str) -> set[str]:
    """The anchor or cell each report line names (``Results!E12 (spill of B6)`` -> ``Results!B6``)."""
    cells = set()
    for line in output.splitlines()[:-1]:
        m = re.match(r"(\S+?)!([A-Z]+\d+)(?: \(spill of ([A-Z]+\d+)\))?:", line)
        if m:
            cells.add(f"{m.group(1)}!{m.group(3) or m.group(2)}")
    return cells


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("verify") / "template.xlsx")


@pytest.fixture(scope="module")
def updated(template: Path) -> Path:
    before = sha(template)
    out = template.with_name("updated.xlsx")
    report = update(template, out)
    assert sha(template) == before
    assert report.exit_code == 0, "\n".join(report.lines())
    return out


# --- the template -----------------------------------------------------------------------------------


def test_the_template_as_written_says_every_function_cell_was_never_computed(template: Path) -> None:
    before = sha(template)
    code, output = run(template)
    assert code == 1
    assert named(output) == FUNCTION_CELLS
    assert output.count("never computed (") == len(FUNCTION_CELLS)
    assert sha(template) == before


def test_the_updated_template_verifies_with_exit_0(updated: Path) -> None:
    before = sha(updated)
    code, output = run(updated)
    assert code == 0, output
    assert output.strip().endswith(": OK")
    assert "8 function cells (8 agrees)" in output
    assert sha(updated) == before


def test_the_updated_template_saves_what_the_core_computes(updated: Path) -> None:
    wf = xlspv.compute(example.values(), example.dates(), example.TERMS)
    ws = openpyxl.load_workbook(updated, data_only=True)["Results"]
    assert ws["M6"].value == xlspv.__version__
    assert ws["M7"].value.date() == wf.threshold_date
    assert ws["M16"].value == pytest.approx(wf.xirr("japan"), rel=1e-12)
    assert ws["M17"].value == "#NUM!"  # the US never funds: no IRR (an error value in the file)
    assert ws["M19"].value == pytest.approx(wf.xirr("project"), rel=1e-12)
    table = wf.table()
    assert [ws.cell(6, 2 + i).value for i in range(8)] == list(table.columns)
    last = 6 + len(table)
    assert [ws.cell(last, 2 + i).value for i in range(1, 7)] == pytest.approx(
        table.iloc[-1][["value", "interest", "japan", "us", "partner", "balance"]].tolist()
    )
    assert ws.cell(last, 9).value == str(table.iloc[-1]["tier"])


def test_the_update_changes_only_the_function_cells_values(template: Path, updated: Path) -> None:
    with zipfile.ZipFile(template) as a, zipfile.ZipFile(updated) as b:
        assert [i.filename for i in a.infolist()] == [i.filename for i in b.infolist()]
        changed = {name for name in a.namelist() if a.read(name) != b.read(name)}
        assert changed == {RESULTS, SENSITIVITY}
        for part in changed:  # take the values out: the rest of each sheet is the same, byte for byte
            strip = lambda x: re.sub(r'<v>[^<]*</v>|<v />| t="\w+"|<c r="[A-Z]+\d+" t="\w+">', "", x.decode())  # noqa: E731
            assert len(b.read(part)) > len(a.read(part))
            assert re.sub(r"<c r=\"[A-Z]+\d+\"></c>", "", strip(b.read(part))).count("<f") == strip(
                a.read(part)
            ).count("<f")
    old, new = openpyxl.load_workbook(template), openpyxl.load_workbook(updated)
    for ws in old.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    other = new[ws.title][cell.coordinate].value
                    assert str(getattr(other, "text", other)) == str(getattr(cell.value, "text", cell.value))
    assert new["Results"]["B6"].value.ref == "B6:I54"  # the dynamic array keeps its range


# --- what a user leaves behind --------------------------------------------------------------------


def test_an_input_edited_without_recalculating_names_every_dependent_function_cell(
    updated: Path, tmp_path: Path
) -> None:
    # The first funding (Inputs!B6, -1500) becomes -1e9: Japan can never recover it, so the
    # threshold date, Japan's and the project's IRR, the waterfall and the rate grid all change. The
    # US and Partner IRRs stay #NUM! (neither funds) and SPV_VERSION reads nothing: still right.
    stale = edited(
        updated, tmp_path / "stale.xlsx", INPUTS, r'(<c r="B6"[^>]*><v>)-1500(</v>)', r"\g<1>-1e9\2"
    )
    code, output = run(stale)
    assert code == 1
    assert named(output) == {"Results!B6", "Results!M7", "Results!M16", "Results!M19", "Sensitivity!A6"}
    assert re.search(r"Results!M7: =THRESHOLD_DATE\(.*\): saved \d+, computed #N/A", output)


def test_a_saved_value_altered_by_hand_is_named(updated: Path, tmp_path: Path) -> None:
    altered = edited(
        updated, tmp_path / "m16.xlsx", RESULTS, r'(<c r="M16"[^>]*>.*?<v>)[^<]*(</v>)', r"\g<1>0.5\2"
    )
    altered = edited(
        altered, tmp_path / "e20.xlsx", RESULTS, r'(<c r="E20"[^>]*><v>)[^<]*(</v>)', r"\g<1>7\2"
    )
    code, output = run(altered)
    assert code == 1
    assert "Results!M16: =SPV_IRR(Flows[Value],Flows[Date],$K16,Terms): saved 0.5, computed 0.065" in output
    assert re.search(
        r"^Results!E20 \(spill of B6\): =SPV_WATERFALL\(.*\): saved 7, computed 1050$", output, re.M
    )
    assert named(output) == {"Results!M16", "Results!B6"}


def test_a_cell_saved_as_name_error_was_not_computed_by_the_add_in(updated: Path, tmp_path: Path) -> None:
    path = edited(
        updated,
        tmp_path / "name.xlsx",
        RESULTS,
        r'<c r="M7" s="15">(<f>.*?</f>)<v>[^<]*</v>',
        r'<c r="M7" s="15" t="e">\1<v>#NAME?</v>',
    )
    code, output = run(path)
    assert code == 1
    assert "Results!M7: =THRESHOLD_DATE(Flows[Value],Flows[Date],Terms): not computed (saved #NAME?" in output


def test_shared_formulas_are_checked_in_each_cell(updated: Path, tmp_path: Path) -> None:
    path = edited(
        updated,
        tmp_path / "shared.xlsx",
        RESULTS,
        r"<f>(SPV_IRR\(Flows\[Value\],Flows\[Date\],\$K16,Terms\))</f>",
        r'<f t="shared" ref="M16:M19" si="0">\1</f>',
    )
    for row in (17, 18, 19):
        path = edited(
            path,
            tmp_path / f"shared{row}.xlsx",
            RESULTS,
            rf"<f>SPV_IRR\([^<]*\$K{row},Terms\)</f>",
            '<f t="shared" si="0"/>',
        )
    assert run(path)[0] == 0
    altered = edited(
        path, tmp_path / "shared_alt.xlsx", RESULTS, r'(<c r="M19"[^>]*>.*?<v>)[^<]*(</v>)', r"\g<1>0.2\2"
    )
    code, output = run(altered)
    assert (code, named(output)) == (1, {"Results!M19"})
    assert "=SPV_IRR(Flows[Value],Flows[Date],$K19,Terms)" in output  # translated to its own row


# --- each runtime's stored form --------------------------------------------------------------------

FORMS = [  # (prefix as stored, runtime that binds it) from docs/verify.md
    ("", "classic"),
    ("_xludf.", "classic"),
    ("_xldudf_XLWINGS_", "server"),
    ("_xldudf_XLWINGS_DEV_", "server"),
    ("XLWINGS.", "server"),
    ("_xldudf_", "lite"),
]


@pytest.mark.parametrize(("prefix", "runtime"), FORMS, ids=[p or "plain" for p, _ in FORMS])
def test_each_runtimes_stored_form_is_found_and_counts_for_its_runtime_only(
    updated: Path, tmp_path: Path, prefix: str, runtime: str
) -> None:
    path = updated
    for part in (RESULTS, SENSITIVITY):
        path = edited(
            path, tmp_path / f"{part[-10:]}", part, r"<f([^>]*)>(SPV_|THRESHOLD_DATE)", rf"<f\1>{prefix}\2", 0
        )
    code, output = run(path, "--runtime", runtime, "--json")
    report = json.loads(output)
    assert code == 0, output
    assert {(c["sheet"] + "!" + c["cell"], c["runtime"], c["status"]) for c in report["calls"]} == {
        (cell, runtime, "agrees") for cell in FUNCTION_CELLS
    }
    other = next(r for r in ("classic", "server", "lite") if r != runtime)
    code, output = run(path, "--runtime", other)
    assert code == 1 and output.count(": other runtime (stored for the") == len(FUNCTION_CELLS)


# --- a user's own workbook ------------------------------------------------------------------------

FLOWS = [
    (dt.date(2025, 1, 1), -100.0),
    (dt.date(2025, 7, 1), -50.0),
    (dt.date(2026, 1, 1), 40.0),
    (dt.date(2027, 1, 1), 90.0),
    (dt.date(2028, 1, 1), 220.0),
    (dt.date(2029, 1, 1), 180.0),
]
SCHEDULE = [(dt.date(2025, 1, 1), 0.05), (dt.date(2027, 1, 1), 0.07)]
TERMS = xlspv.Terms.from_mapping(
    [("deemed_rate", r, d) for d, r in SCHEDULE] + [("partner_share", 0.2, None)]
)


def _own_workbook(path: Path, waterfall_rows: int = len(FLOWS)) -> Path:
    """Structured references, a sheet name with a space, names (one sheet-local), a dated schedule,
    spills of SPV_WATERFALL and SPV_RATE_GRID, SPV_IRR with a guess, a legacy array, calls reading
    another call's spill, a formula input, and formulas the check does not evaluate."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "My Inputs"
    ws.append(["Day", "Amount"])
    for day, value in FLOWS:
        ws.append([day, value])
    ws.add_table(Table(displayName="Cash", ref=f"A1:B{1 + len(FLOWS)}"))
    for i, (day, rate) in enumerate(SCHEDULE, start=2):
        ws[f"D{i}"], ws[f"E{i}"], ws[f"F{i}"] = "deemed_rate", rate, day
    ws["D4"], ws["E4"] = "partner_share", 0.2
    ws["H2"], ws["H3"] = 0.04, 0.06
    ws["J2"] = "Japan"
    ws["K2"] = "=0.05"  # a formula input, never computed by openpyxl
    wb.defined_names["SpvTerms"] = DefinedName("SpvTerms", attr_text="'My Inputs'!$D$2:$F$4")
    out = wb.create_sheet("Out")
    out.defined_names["Party"] = DefinedName("Party", attr_text="'My Inputs'!$J$2")  # local to Out
    n = len(FLOWS)
    out["A1"] = ArrayFormula(f"A1:H{1 + waterfall_rows}", "=SPV_WATERFALL(Cash[Amount],Cash[Day],SpvTerms)")
    out["K1"] = ArrayFormula(
        "K1:O3", "=SPV_RATE_GRID(Cash[Amount],Cash[[#Data],[Day]],SpvTerms,'My Inputs'!H2:H3)"
    )
    out["K6"] = "=SPV_IRR(Cash[Amount],Cash[Day],Party,SpvTerms,0.2)"
    out["K7"] = "=SPV_IRR('My Inputs'!$B$2:$B$7,'My Inputs'!A2:A7,\"project\",0.05)"
    out["K8"] = "=THRESHOLD_DATE(Cash[Amount],Cash[Day],{0.05})"
    out["K9"] = f'=SPV_IRR(B2:B{1 + n},A2:A{1 + n},"Project",0.05)'  # reads the waterfall's spill
    out["K10"] = "=SPV_IRR(Cash[Amount],Cash[Day],\"Japan\",'My Inputs'!K2)"  # reads a formula
    out["K11"] = '=IFERROR(SPV_IRR(Cash[Amount],Cash[Day],"Japan",0.05),"")'  # not checked
    out["K12"] = '=SPV_IRR(Cash[Amount],Cash[Day],"Japan",0.05+0.01)'  # an expression: not checked
    out["K13"] = '=SPV_IRR(Cash[Amount],Cash[Day],"Japan",NoSuchName)'  # broken
    out["M6"] = ArrayFormula("M6:M9", '=SPV_PAYOUT(Cash[Amount],Cash[Day],"US",0.05)')  # legacy, cut
    return save_workbook(wb, path, dynamic_arrays={"Out": ["A1", "K1"]})


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    folder = tmp_path_factory.mktemp("own")
    path = _own_workbook(folder / "own.xlsx")
    before = sha(path)
    report = update(path, folder / "own_updated.xlsx")
    assert sha(path) == before
    return folder / "own_updated.xlsx", report


def _statuses(report: Any) -> dict[str, str]:
    return {f"{c.sheet}!{c.cell}": c.status for c in report.calls}


def test_a_users_workbook_resolves_tables_names_sheets_and_literals(own: tuple[Path, Any]) -> None:
    _, report = own
    assert _statuses(report) == {
        "Out!A1": "agrees",
        "Out!K1": "agrees",
        "Out!K6": "agrees",
        "Out!K7": "agrees",
        "Out!K8": "agrees",
        "Out!K9": "agrees",
        "Out!K10": "stale inputs",  # 'My Inputs'!K2 is a formula never computed
        "Out!K11": "unchecked",
        "Out!K12": "unchecked",
        "Out!K13": "broken",
        "Out!M6": "agrees",
    }
    k10 = next(c for c in report.calls if c.cell == "K10")
    assert k10.formula_inputs == ["My Inputs!K2"]
    assert report.exit_code == 1


def test_a_users_workbook_saves_what_the_core_computes(own: tuple[Path, Any]) -> None:
    path, _ = own
    values, days = [v for _, v in FLOWS], [d for d, _ in FLOWS]
    wf = xlspv.compute(values, days, TERMS)
    ws = openpyxl.load_workbook(path, data_only=True)["Out"]
    assert ws["K6"].value == pytest.approx(wf.xirr("japan", 0.2), rel=1e-12)  # the guess reaches the core
    assert ws["K7"].value == pytest.approx(xlspv.compute(values, days, 0.05).xirr("project"), rel=1e-12)
    flat = xlspv.compute(values, days, 0.05)
    assert ws["K8"].value == serial(flat.threshold_date) == serial(dt.date(2028, 1, 1))  # no date format
    table = wf.table()
    assert ws["A1"].value == "date" and ws.cell(1 + len(FLOWS), 8).value == str(table.iloc[-1]["tier"])
    assert [ws.cell(r, 4).value for r in range(2, 2 + len(FLOWS))] == pytest.approx(table["japan"].tolist())
    grid = xlspv.waterfall_batch(values, days, TERMS, deemed_rates=[0.04, 0.06])
    assert [ws["L2"].value, ws["L3"].value] == pytest.approx(list(grid.xirr("japan")), rel=1e-12)
    # a fixed (legacy) array of four cells shows the six payouts' first four
    assert [ws[f"M{r}"].value for r in range(6, 10)] == pytest.approx(flat.us[:4].tolist())


def test_a_call_reading_another_calls_cells_is_stale_when_that_call_is(
    own: tuple[Path, Any], tmp_path: Path
) -> None:
    path, _ = own
    # the second funding doubled in the XML without recalculating: the waterfall (and the calls on the
    # flows) differ; K9, which reads the waterfall's saved spill, agrees with it but its input is stale.
    stale = edited(
        path,
        tmp_path / "stale.xlsx",
        "xl/worksheets/sheet1.xml",
        r'(<c r="B3"[^>]*><v>)-50(</v>)',
        r"\g<1>-100\2",
    )
    statuses = _statuses(verify(stale))
    assert statuses["Out!A1"] == "differs"
    assert statuses["Out!K9"] == "stale inputs"
    again = update(stale, tmp_path / "again.xlsx")
    assert _statuses(again)["Out!K9"] == "agrees"  # computed from the waterfall's new values


def test_a_dynamic_spill_saved_smaller_than_its_result_grows_on_update(tmp_path: Path) -> None:
    small = _own_workbook(tmp_path / "small.xlsx", waterfall_rows=3)  # A1:H4 for a 7-row result
    first = update(small, tmp_path / "first.xlsx")
    a1 = next(c for c in first.calls if c.cell == "A1")
    assert a1.status == "agrees"
    assert openpyxl.load_workbook(tmp_path / "first.xlsx")["Out"]["A1"].value.ref == f"A1:H{1 + len(FLOWS)}"
    report = verify(
        edited(
            tmp_path / "first.xlsx",
            tmp_path / "cut.xlsx",
            "xl/worksheets/sheet2.xml",
            r'ref="A1:H7"',
            'ref="A1:H4"',
        )
    )
    a1 = next(c for c in report.calls if c.cell == "A1")
    assert (
        a1.status == "differs" and "the saved spill covers A1:H4 (4 x 8); the result is 7 x 8" in a1.message
    )


# --- the command line -----------------------------------------------------------------------------


def test_json_lists_every_call_with_its_status_and_differing_cells(updated: Path, tmp_path: Path) -> None:
    altered = edited(
        updated, tmp_path / "alt.xlsx", RESULTS, r'(<c r="M19"[^>]*>.*?<v>)[^<]*(</v>)', r"\g<1>0.2\2"
    )
    code, output = run(altered, "--json")
    report = json.loads(output)
    assert (code, report["exit_code"], report["ok"]) == (1, 1, False)
    m19 = next(c for c in report["calls"] if c["cell"] == "M19")
    assert (m19["status"], m19["cells"][0]["saved"]) == ("differs", 0.2)
    assert report["counts"]["agrees"] == len(FUNCTION_CELLS) - 1


def test_the_tolerance_is_relative(updated: Path, tmp_path: Path) -> None:
    saved = openpyxl.load_workbook(updated, data_only=True)["Results"]["H8"].value  # ~4020
    nudged = edited(
        updated,
        tmp_path / "n.xlsx",
        RESULTS,
        r'(<c r="H8"[^>]*><v>)[^<]*(</v>)',
        rf"\g<1>{saved * (1 + 1e-7)!r}\2",
    )
    assert run(nudged)[0] == 1
    assert run(nudged, "--tolerance", "1e-6")[0] == 0


def test_update_needs_an_output_and_force_to_replace_it(updated: Path, tmp_path: Path) -> None:
    before = sha(updated)
    code, output = run(updated, "--update")
    assert (code, output.strip()) == (
        2,
        "xlspv: error: --update needs -o OUTPUT.xlsx (the input is never modified).",
    )
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"keep")
    code, output = run(updated, "--update", "-o", out)
    assert code == 2 and "pass --force to replace it" in output and out.read_bytes() == b"keep", output
    assert run(updated, "--update", "-o", out, "--force")[0] == 0
    code, output = run(updated, "--update", "-o", updated, "--force")
    assert code == 2 and "would overwrite the input" in output
    assert sha(updated) == before


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("text", "cannot be read as an .xlsx workbook"),
        ("truncated", "cannot be read as an .xlsx"),
        ("date1904", "uses the 1904 date system"),
        ("no_sheet", "is missing; open it in Excel"),
        ("doctype", "declares a DTD"),  # refused by the check every reader applies
        ("bad_value", "holds 'abc' as a value of type"),
    ],
)
def test_an_unusable_file_is_one_line_and_exit_2_and_is_not_modified(
    updated: Path, tmp_path: Path, damage: str, message: str
) -> None:
    path = tmp_path / "bad.xlsx"
    if damage == "text":
        path.write_text("date,value\n")
    elif damage == "truncated":
        path.write_bytes(updated.read_bytes()[:3000])
    elif damage == "date1904":
        edited(updated, path, "xl/workbook.xml", r"<workbookPr\s*/>", '<workbookPr date1904="1"/>')
    elif damage == "no_sheet":
        edited(
            updated,
            path,
            "xl/_rels/workbook.xml.rels",
            r'Target="/?xl/worksheets/sheet4.xml"',
            'Target="/xl/worksheets/nothing.xml"',
        )
    elif damage == "doctype":
        edited(updated, path, RESULTS, r"^(<\?xml[^>]*\?>)?", r'\1<!DOCTYPE x [<!ENTITY a "b">]>')
    else:
        edited(updated, path, RESULTS, r'(<c r="M16"[^>]*>.*?<v>)[^<]*(</v>)', r"\1abc\2")
    before = sha(path)
    code, output = run(path)
    assert code == 2
    assert output.count("\n") == 1 and output.startswith("xlspv: error: bad.xlsx: ") and message in output
    assert sha(path) == before


def test_a_workbook_without_any_call_fails_as_values_pasted_over_them(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = 0.065
    wb.save(tmp_path / "values.xlsx")
    code, output = run(tmp_path / "values.xlsx")
    assert code == 1 and "no call of xlspv's functions found" in output


# --- the rules shared with udfs.py, and the formula reader under fuzzing ----------------------------


def test_the_range_parameters_are_those_udfs_declares_ndim_2() -> None:
    import inspect

    for name, kinds in UDF_ARGUMENTS.items():  # formulas_engine checks these against the decorators
        params = list(inspect.signature(getattr(udfs, name)).parameters)
        assert {p for p, kind in zip(params, kinds, strict=True) if kind == "range"} == set(
            params
        ) & RANGE_PARAMETERS


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="SPV_IR(),'\"[]{}@!$:;A1B2#. =-+xludf", max_size=60))
def test_any_formula_text_is_located_or_explained_never_an_exception(text: str) -> None:
    found = _locate("SPV_IRR(" + text)
    assert isinstance(found, (str, tuple))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="AB12$:!'\"[]{}#@,;.-%eE TRUEFLSNam_", max_size=30))
def test_any_argument_text_resolves_or_is_explained(own: tuple[Path, Any], text: str) -> None:
    from xlspv.workbooks.verify.book import read_book

    book = _BOOK.get("own") or _BOOK.setdefault("own", read_book(own[0]))
    with contextlib.suppress(UncheckedFormulaError, BrokenFormulaError):  # anything else (a crash) fails
        resolve(book, "Out", 6, 11, text)


_BOOK: dict[str, Any] = {}


def test_the_file_layer_names_the_functions_udfs_exports() -> None:
    # forms.py writes the names out (the file layer does not import the Excel adapter): keep them equal.
    assert sorted(FUNCTIONS) == sorted(udfs.__all__) and len(set(FUNCTIONS)) == len(FUNCTIONS)


def test_calls_on_the_same_flows_compute_one_waterfall_however_the_sheet_lays_them_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 20 SPVs (more than udfs.py's memo of 16 waterfalls) in columns, a row per party: read row by row,
    # each SPV's waterfall would be evicted before its next call and computed 4 times.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Out"
    spvs, parties = 20, ("Japan", "US", "Partner", "Project")
    for k in range(spvs):
        for i, (day, value) in enumerate(FLOWS, start=1):
            ws.cell(10 + i, 1 + 2 * k, serial(day))
            ws.cell(10 + i, 2 + 2 * k, value * (1 + k / 100))
        d, v = (openpyxl.utils.get_column_letter(1 + 2 * k + j) for j in (0, 1))
        for p, party in enumerate(parties, start=1):
            last = 10 + len(FLOWS)
            ws.cell(p, 1 + k, f'=SPV_IRR({v}11:{v}{last},{d}11:{d}{last},"{party}",0.05)')
    path = tmp_path / "columns.xlsx"
    wb.save(path)
    computed = []
    compute = xlspv.compute
    monkeypatch.setattr(xlspv, "compute", lambda *a, **k: computed.append(1) or compute(*a, **k))
    udfs._MEMO.clear()
    report = verify(path)
    assert len(report.calls) == spvs * len(parties)
    assert len(computed) == spvs


def test_the_documented_pytest_recipe_verifies_every_workbook_under_a_folder(
    updated: Path, template: Path, tmp_path: Path
) -> None:
    recipe = Path(__file__).resolve().parents[1] / "docs" / "verify.md"
    code = re.search(r"```python\n(# tests/test_workbooks.py.*?)```", recipe.read_text(), re.S).group(1)
    models = tmp_path / "models" / "team"
    models.mkdir(parents=True)
    (models / "good.xlsx").write_bytes(updated.read_bytes())
    (models / "never.xlsx").write_bytes(template.read_bytes())
    (tmp_path / "test_workbooks.py").write_text(code)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "test_workbooks.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout  # never.xlsx fails (never computed), good.xlsx passes
    assert "1 failed, 1 passed" in done.stdout and "never computed" in done.stdout
