"""The template workbook (xlspv.workbooks.template): spills, live results, FAST/ICAEW structure, the
committed file.

The expected numbers come from the core (``xlspv.compute`` on the built-in example), never from the
workbook code; the workbook's formulas are recalculated headless by the ``formulas`` engine with the
functions of ``udfs.py`` registered (``tests/formulas_engine.py``), and by LibreOffice without them.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import libreoffice
import openpyxl
import pytest
from conftest import serial
from formulas_engine import UDF_ARGUMENTS, Evaluation, evaluate
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

import udfs
import xlspv
from xlspv.daycount import DAY_COUNTS
from xlspv.errors import OutputError
from xlspv.examples import spv as example
from xlspv.terms import ALLOCATION_BASES, COMPOUNDINGS, Terms
from xlspv.workbooks import style
from xlspv.workbooks.dynamic import METADATA_XML
from xlspv.workbooks.template import write_template

COMMITTED = Path(__file__).resolve().parents[1] / "workbooks" / "spv_template.xlsx"
GENERATED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
N_FLOWS = len(example.flows())
FIRST_FLOW, LAST_FLOW = 6, 5 + N_FLOWS  # Inputs rows of the Flows table's data
WATERFALL_REF = f"B6:I{6 + N_FLOWS}"  # header row + one row per flow, eight columns
#: The rates to compare, inputs on Terms typed in B22:B26 as a user would (the example's 5.5% -2 to +2
#: points), with room for more down to B41 (the name SensitivityRates); the Sensitivity sheet's grid
#: spills from A6: a header row, then a row per rate.
GRID_RATES = [0.035, 0.045, 0.055, 0.065, 0.075]
FIRST_RATE, LAST_RATE_CELL = 22, 41
GRID_REF = f"A6:E{6 + len(GRID_RATES)}"
GRID_ROOM = range(7, 27)  # Sensitivity rows the grid may spill into: one per rate cell
GRID_HEADER = ["deemed_rate", "xirr_japan", "threshold_date", "japan_received", "unrecovered"]
SHEETS = ["Cover", "Inputs", "Terms", "Results", "Sensitivity", "Checks", "xlwings.conf"]
#: Every input cell of the template, and nothing else, is styled as an input.
INPUT_CELLS = {
    *(("Inputs", f"{col}{row}") for col in "ABC" for row in range(FIRST_FLOW, LAST_FLOW + 1)),
    *(("Terms", f"B{row}") for row in range(5, 13)),  # the eight terms
    ("Terms", "C5"),  # deemed_rate's effective date (a dated schedule)
    *(("Terms", f"{col}{row}") for col in "ABC" for row in range(13, 17)),  # spare deemed_rate rows
    ("Terms", "B19"),  # check_tolerance
    *(("Terms", f"B{row}") for row in range(FIRST_RATE, LAST_RATE_CELL + 1)),  # rates to compare
}
#: Excel built-ins the template may call: all in the original (2007) file format, so none needs a
#: ``_xlfn.`` prefix; our functions are user-defined and written under their plain names.
BUILTINS = {
    "ABS",
    "AND",
    "COUNT",
    "COUNTIF",
    "COUNTIFS",
    "IF",
    "IFERROR",
    "ISNA",
    "ISTEXT",
    "ROWS",
    "SUM",
    "SUMIF",
    "SUMPRODUCT",
    "VLOOKUP",
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("template") / "spv_template.xlsx", generated=GENERATED)


@pytest.fixture(scope="module")
def wb(template: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(template)


@pytest.fixture(scope="module")
def evaluation(template: Path) -> Evaluation:
    return evaluate(template)


@pytest.fixture(scope="module")
def core() -> xlspv.Waterfall:
    return xlspv.compute(example.values(), example.dates(), example.TERMS)


def _checks(ev: Evaluation) -> list[Any]:
    return [row[0] for row in ev.range("Checks", "C7:C14")]


# --- (a) the array formulas, as Excel 365 needs them --------------------------------------------------


def _sheet_parts(path: Path) -> dict[str, str]:
    """Sheet title -> XML text of its part."""
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    rels = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {r.get("Id"): r.get("Target").lstrip("/") for r in rels.findall("p:Relationship", ns)}
    book = ElementTree.fromstring(parts["xl/workbook.xml"])
    return {
        s.get("name"): parts[t if t.startswith("xl/") else f"xl/{t}"].decode()
        for s in book.iter(f"{{{ns['m']}}}sheet")
        for t in [targets[s.get(rid)]]
    }


def test_every_array_formula_is_a_dynamic_array_anchored_at_its_top_left(template: Path) -> None:
    arrays = []
    for title, xml in _sheet_parts(template).items():
        for tag, ref in re.findall(r'(<c\b[^>]*>)\s*<f\b[^>]*\bt="array"[^>]*\bref="([^"]+)"', xml):
            cell = re.search(r'\br="([^"]+)"', tag).group(1)
            assert ref.startswith(f"{cell}:"), f"{title}!{cell}: range {ref} does not start at the anchor"
            assert 'cm="1"' in tag, f"{title}!{cell}: array formula not marked dynamic (no cm=1)"
            arrays.append((title, ref))
    assert arrays == [("Results", WATERFALL_REF), ("Sensitivity", GRID_REF)]


def test_the_dynamic_array_anchors_are_exactly_the_array_formulas(template: Path) -> None:
    marked = {
        title: cells
        for title, xml in _sheet_parts(template).items()
        if (cells := re.findall(r'<c\b[^>]*\br="([^"]+)"[^>]*\bcm="1"', xml))
    }
    assert marked == {"Results": ["B6"], "Sensitivity": ["A6"]}


def test_the_grid_ref_has_a_header_row_and_one_row_per_rate_delivered_and_five_columns() -> None:
    min_col, min_row, max_col, max_row = range_boundaries(GRID_REF)
    assert (max_row - min_row + 1, max_col - min_col + 1) == (1 + len(GRID_RATES), len(GRID_HEADER))


def test_the_grid_formula_calls_the_add_in_on_the_flows_terms_and_the_named_rates(
    wb: openpyxl.Workbook,
) -> None:
    anchor = wb["Sensitivity"]["A6"].value
    assert isinstance(anchor, ArrayFormula)
    formula = "=SPV_RATE_GRID(Flows[Value],Flows[Date],Terms,SensitivityRates)"
    assert (anchor.ref, anchor.text) == (GRID_REF, formula)
    rates_range = f"'Terms'!$B${FIRST_RATE}:$B${LAST_RATE_CELL}"  # on an input sheet (issue 9)
    assert wb.defined_names["SensitivityRates"].attr_text == rates_range
    rates = [wb["Terms"][f"B{r}"].value for r in range(FIRST_RATE, LAST_RATE_CELL + 1)]
    assert rates == [*GRID_RATES, *[None] * (LAST_RATE_CELL - FIRST_RATE + 1 - len(GRID_RATES))]


def test_the_waterfall_ref_has_a_header_row_and_one_row_per_flow_and_column(core: xlspv.Waterfall) -> None:
    min_col, min_row, max_col, max_row = range_boundaries(WATERFALL_REF)
    assert (max_row - min_row + 1, max_col - min_col + 1) == (N_FLOWS + 1, len(core.table().columns))


def test_the_dynamic_array_parts_are_in_the_package(template: Path) -> None:
    with zipfile.ZipFile(template) as package:
        assert package.read("xl/metadata.xml").decode() == METADATA_XML
        assert b'PartName="/xl/metadata.xml"' in package.read("[Content_Types].xml")
        assert b"relationships/sheetMetadata" in package.read("xl/_rels/workbook.xml.rels")


def test_the_waterfall_formula_calls_the_add_in_on_the_flows_table_and_terms(wb: openpyxl.Workbook) -> None:
    anchor = wb["Results"]["B6"].value
    assert isinstance(anchor, ArrayFormula)
    assert (anchor.ref, anchor.text) == (WATERFALL_REF, "=SPV_WATERFALL(Flows[Value],Flows[Date],Terms)")


# --- (b) the formulas, evaluated, against the core ----------------------------------------------------


def test_the_spilled_header_names_the_core_table_columns(
    evaluation: Evaluation, core: xlspv.Waterfall
) -> None:
    assert evaluation.range("Results", "B6:I6")[0] == list(core.table().columns)


def test_the_spilled_waterfall_equals_the_core_row_by_row(
    evaluation: Evaluation, core: xlspv.Waterfall
) -> None:
    table = core.table()
    got = evaluation.range("Results", f"B7:I{6 + N_FLOWS}")
    assert len(got) == len(table) == N_FLOWS
    for i, (row, (_, want)) in enumerate(zip(got, table.iterrows(), strict=True)):
        assert row[0] == serial(want["date"].date()), f"row {i + 1} date"
        numbers = ["value", "interest", "japan", "us", "partner", "balance"]
        assert row[1:7] == pytest.approx([want[c] for c in numbers], rel=1e-12, abs=1e-9), f"row {i + 1}"
        assert row[7] == want["tier"], f"row {i + 1} tier"


def test_the_headline_results_equal_the_core(evaluation: Evaluation, core: xlspv.Waterfall) -> None:
    s = core.summary()
    value = {
        label: evaluation["Results", f"M{row}"]
        for row, label in ((r, evaluation["Results", f"K{r}"]) for r in range(6, 20))
        if label
    }
    assert value["Engine"] == xlspv.__version__
    assert value["Threshold date"] == serial(s.threshold_date) == serial(dt.date(2041, 6, 30))
    assert value["Japan funded"] == pytest.approx(s.japan_funded, rel=1e-12)
    assert value["Cash distributed"] == pytest.approx(s.distributed, rel=1e-12)
    assert value["Japan received"] == pytest.approx(s.japan_received, rel=1e-12)
    assert value["US received"] == pytest.approx(s.us_received, rel=1e-12)
    assert value["Partner received"] == pytest.approx(s.partner_received, abs=1e-12)
    assert value["Japan multiple of money"] == pytest.approx(s.multiple_japan, rel=1e-12)
    assert value["Japan"] == pytest.approx(s.xirr_japan, rel=1e-12)
    assert value["Project"] == pytest.approx(s.xirr_project, rel=1e-12)
    assert (value["US"], value["Partner"]) == ("#NUM!", "#NUM!")  # the US never funds; no partner


def test_every_check_holds_on_the_example(evaluation: Evaluation) -> None:
    assert _checks(evaluation) == [True] * 8
    assert evaluation["Checks", "C4"] is True
    assert evaluation["Results", "B3"] is True  # the master check shown on the output sheet
    assert evaluation["Cover", "B8"] is True


def _grid_row_of_the_core(rate: float, terms: Terms) -> list[Any]:
    """The grid row the core gives at ``rate``: ``xlspv.compute`` (one SPV) with that deemed rate."""
    s = xlspv.compute(example.values(), example.dates(), terms.with_rate(rate)).summary()
    return [
        rate,
        "#NUM!" if s.xirr_japan is None else s.xirr_japan,
        "#N/A" if s.threshold_date is None else serial(s.threshold_date),
        s.japan_received,
        s.unrecovered,
    ]


def _assert_grid_equals_the_core(ev: Evaluation, rates: list[float], terms: Terms) -> None:
    got = ev.range("Sensitivity", GRID_REF)
    assert got[0] == GRID_HEADER
    assert len(got) == 1 + len(rates)
    for i, (row, rate) in enumerate(zip(got[1:], rates, strict=True)):
        want = _grid_row_of_the_core(rate, terms)
        for name, g, w in zip(GRID_HEADER, row, want, strict=True):
            where = f"grid row {i + 1} ({rate:.2%}) {name}"
            if name in ("xirr_japan", "japan_received", "unrecovered") and isinstance(w, float):
                assert isinstance(g, float) and g == pytest.approx(w, rel=1e-12, abs=1e-9), where
            else:  # the rate echoed, a date serial, or an error value: exactly
                assert g == w, where


def test_the_spilled_rate_grid_equals_the_core_rate_by_rate(evaluation: Evaluation) -> None:
    _assert_grid_equals_the_core(evaluation, GRID_RATES, example.TERMS)
    rates_typed = [row[0] for row in evaluation.range("Terms", f"B22:B{21 + len(GRID_RATES)}")]
    assert rates_typed == GRID_RATES
    # at the example's own rate the grid agrees with the Results sheet's headline cells
    at_example_rate = evaluation.range("Sensitivity", "A9:E9")[0]
    assert at_example_rate[2] == evaluation["Results", "M7"]  # threshold date
    assert at_example_rate[3] == pytest.approx(evaluation["Results", "M10"], rel=1e-12)  # Japan received
    assert at_example_rate[1] == pytest.approx(evaluation["Results", "M16"], rel=1e-12)  # Japan's XIRR


def test_rates_to_compare_and_terms_typed_on_the_terms_sheet_reach_the_grid(template: Path) -> None:
    """The grid's rates replace the Terms' deemed rate; every other term applies."""
    typed = {"Terms!B24": 0.10, "Terms!B26": -0.02}
    terms = {"Terms!B5": 0.07, "Terms!B8": "ACT/360", "Terms!B10": 0.25}
    ev = evaluate(template, inputs={**typed, **terms})
    rates = [0.035, 0.045, 0.10, 0.065, -0.02]
    _assert_grid_equals_the_core(ev, rates, Terms(0.07, day_count="ACT/360", partner_share=0.25))
    assert ev["Sensitivity", "C9"] == "#N/A"  # at 10% the example does not reach the threshold
    assert ev["Sensitivity", "E9"] > 0  # and leaves a deemed allocation unrecovered


def test_the_scheduled_basis_shows_value_on_the_grid_and_leaves_the_results_computed(template: Path) -> None:
    ev = evaluate(template, inputs={"Terms!B11": "scheduled", "Terms!B12": 20})
    assert ev["Sensitivity", "A6"] == "#VALUE!"  # the grid computes the cumulative reading only
    scheduled = Terms(0.055, allocation_basis="scheduled", useful_life=20)
    want = xlspv.compute(example.values(), example.dates(), scheduled).summary()
    assert ev["Results", "M16"] == pytest.approx(want.xirr_japan, rel=1e-12)
    assert _checks(ev) == [True] * 8


def test_terms_typed_on_the_terms_sheet_reach_the_functions(template: Path) -> None:
    ev = evaluate(template, inputs={"Terms!B5": 0.07, "Terms!B10": 0.25})
    want = xlspv.compute(example.values(), example.dates(), Terms(0.07, partner_share=0.25)).summary()
    assert ev["Results", "M7"] == serial(want.threshold_date)
    assert ev["Results", "M16"] == pytest.approx(want.xirr_japan, rel=1e-12)
    assert ev["Results", "M18"] == pytest.approx(want.xirr_partner, rel=1e-12)
    assert ev["Results", "M12"] == pytest.approx(want.partner_received, rel=1e-12)
    assert _checks(ev) == [True] * 8


def test_a_broken_input_cell_turns_the_master_check_false(template: Path) -> None:
    ev = evaluate(template, inputs={"Inputs!A10": "31/12/2027"})  # a date typed as text
    assert ev["Results", "B6"] == "#VALUE!"
    assert ev["Sensitivity", "A6"] == "#VALUE!"
    assert _checks(ev)[0] is False
    assert ev["Checks", "C4"] is False
    assert ev["Cover", "B8"] is False


def test_without_the_add_in_the_checks_fail_cleanly(template: Path) -> None:
    """Excel shows #NAME? in add-in cells; the checks then read FALSE, not an error."""
    ev = evaluate(template, connected=False)
    assert ev["Results", "M6"] == "#NAME?"
    assert ev["Sensitivity", "A6"] == "#NAME?"
    assert _checks(ev) == [True] + [False] * 7  # only the inputs check needs no add-in
    assert ev["Checks", "C4"] is False
    assert ev["Results", "M8"] == pytest.approx(17000.0)  # native formulas still work


def test_libreoffice_reads_the_template_and_fails_the_checks_without_the_add_in(
    template: Path, tmp_path: Path
) -> None:
    recalculated = libreoffice.recalculate_one(template, tmp_path)
    values = openpyxl.load_workbook(recalculated, data_only=True)
    checks = [values["Checks"][f"C{row}"].value for row in range(7, 15)]
    assert checks == [True] + [False] * 7
    assert values["Checks"]["C4"].value is False
    assert values["Results"]["M8"].value == pytest.approx(17000.0)  # Flows[Value] structured reference
    assert values["Results"]["M9"].value == pytest.approx(sum(v for v in example.values() if v > 0))


def test_the_formula_count_stays_small_for_the_engine(evaluation: Evaluation) -> None:
    assert evaluation.formula_count <= 40


def test_the_engine_passes_arguments_as_the_udf_signatures_expect() -> None:
    for name in udfs.__all__:
        assert len(inspect.signature(getattr(udfs, name)).parameters) == len(UDF_ARGUMENTS[name]), name


# --- (c) structure (FAST / ICAEW Financial Modelling Code, issue 9) -----------------------------------


def test_sheets_are_in_the_standard_order_and_open_on_the_cover(wb: openpyxl.Workbook) -> None:
    assert wb.sheetnames == SHEETS
    assert wb.active.title == "Cover"
    assert [ws.title for ws in wb if ws.sheet_view.tabSelected] == ["Cover"]


def _is_input_styled(cell: Any) -> bool:
    return (
        cell.fill.fgColor.rgb == style.INPUT_FILL.fgColor.rgb
        or cell.font.color is not None
        and (cell.font.color.rgb == style.INPUT_FONT.color.rgb)
    )


def test_input_style_is_on_the_input_cells_and_only_there(wb: openpyxl.Workbook) -> None:
    styled = {
        (ws.title, c.coordinate) for ws in wb for row in ws.iter_rows() for c in row if _is_input_styled(c)
    }
    assert styled == INPUT_CELLS
    for sheet, ref in INPUT_CELLS:
        cell = wb[sheet][ref]
        assert cell.fill.fgColor.rgb == style.INPUT_FILL.fgColor.rgb and cell.font.color.rgb == "FF0000FF"


def test_every_input_cell_has_data_validation(wb: openpyxl.Workbook) -> None:
    for sheet, ref in INPUT_CELLS:
        assert any(ref in dv.sqref for dv in wb[sheet].data_validations.dataValidation), f"{sheet}!{ref}"


def _validation(ws: Any, ref: str) -> Any:
    (dv,) = [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]
    return dv


def test_inputs_validate_dates_as_dates_and_values_as_decimals(wb: openpyxl.Workbook) -> None:
    ws = wb["Inputs"]
    date, value, note = (_validation(ws, f"{col}{FIRST_FLOW}") for col in "ABC")
    assert str(date.sqref) == f"A{FIRST_FLOW}:A{LAST_FLOW}" and (date.type, date.operator) == (
        "date",
        "between",
    )
    assert (date.formula1, date.formula2) == ("61", "2958465")  # 1 March 1900 .. 31 December 9999
    assert str(value.sqref) == f"B{FIRST_FLOW}:B{LAST_FLOW}" and value.type == "decimal"
    assert note.type == "textLength" and note.allow_blank
    assert all(dv.showErrorMessage and dv.error and dv.prompt for dv in (date, value, note))


@pytest.mark.parametrize(
    ("cell", "choices"),
    [("B8", DAY_COUNTS), ("B9", COMPOUNDINGS), ("B11", tuple(b for b in ALLOCATION_BASES if b != "pooled"))],
    ids=["day_count", "compounding", "allocation_basis"],
)
def test_terms_drop_downs_offer_exactly_what_the_core_accepts(
    wb: openpyxl.Workbook, cell: str, choices: Any
) -> None:
    dv = _validation(wb["Terms"], cell)
    assert dv.type == "list"
    assert dv.formula1.strip('"').split(",") == list(choices)


def test_the_flows_table_holds_the_built_in_example(wb: openpyxl.Workbook) -> None:
    ws = wb["Inputs"]
    table = ws.tables["Flows"]
    assert table.ref == f"A5:C{LAST_FLOW}"
    assert [c.name for c in table.tableColumns] == ["Date", "Value", "Note"]
    rows = [(r[0].value.date(), r[1].value, r[2].value) for r in ws[f"A{FIRST_FLOW}:C{LAST_FLOW}"]]
    assert rows == example.flows()
    assert all(ws[f"C{row}"].data_type == "s" for row in range(FIRST_FLOW, LAST_FLOW + 1))


def test_the_terms_name_is_a_three_column_range_that_reads_back_as_the_example_terms(
    wb: openpyxl.Workbook,
) -> None:
    ws = wb["Terms"]
    assert [ws[f"{c}4"].value for c in "ABCDE"] == ["Term", "Value", "Effective from", "Unit", "Explanation"]
    assert wb.defined_names["Terms"].attr_text == "'Terms'!$A$5:$C$16"
    assert wb.defined_names["CheckTolerance"].attr_text == "'Terms'!$B$19"
    rows = [[c.value for c in row] for row in ws["A5:C16"]]
    assert rows[8:] == [[None, None, None]] * 4  # four spare rows for a schedule, skipped while blank
    assert all(row[2] is None for row in rows)  # no effective date: one flat rate
    assert Terms.from_mapping(rows) == example.TERMS


def test_number_formats_follow_the_finance_conventions(wb: openpyxl.Workbook) -> None:
    inputs, terms, results = wb["Inputs"], wb["Terms"], wb["Results"]
    assert {inputs[f"A{r}"].number_format for r in range(FIRST_FLOW, LAST_FLOW + 1)} == {style.DATE}
    assert {inputs[f"B{r}"].number_format for r in range(FIRST_FLOW, LAST_FLOW + 1)} == {style.MONEY}
    assert [terms[f"B{r}"].number_format for r in (5, 6, 7, 10, *range(13, 17))] == [style.PERCENT] * 8
    assert terms["B12"].number_format == style.INTEGER
    assert [terms[f"C{r}"].number_format for r in (5, *range(13, 17))] == [style.DATE] * 5
    assert {terms[f"B{r}"].number_format for r in range(FIRST_RATE, LAST_RATE_CELL + 1)} == {style.PERCENT}
    spill_formats = [style.DATE, *[style.MONEY] * 6]
    assert [results.column_dimensions[c].number_format for c in "BCDEFGH"] == spill_formats
    for row in range(7, 7 + N_FLOWS):
        assert [results[f"{c}{row}"].number_format for c in "BCDEFGH"] == spill_formats
    sensitivity = wb["Sensitivity"]
    grid_formats = [style.PERCENT, style.PERCENT, style.DATE, style.MONEY, style.MONEY]
    assert [sensitivity.column_dimensions[c].number_format for c in "ABCDE"] == grid_formats
    for row in GRID_ROOM:  # the rows the grid may spill into
        assert [sensitivity[f"{c}{row}"].number_format for c in "ABCDE"] == grid_formats
    headline = {r: results[f"M{r}"].number_format for r in (7, 8, 9, 10, 11, 12, 13, 16, 17, 18, 19)}
    assert headline == {
        7: style.DATE,
        **dict.fromkeys((8, 9, 10, 11, 12), style.MONEY),
        13: style.MULTIPLE,
        **dict.fromkeys((16, 17, 18, 19), style.PERCENT),
    }


def test_every_result_and_input_column_has_a_unit(wb: openpyxl.Workbook) -> None:
    assert [wb["Inputs"][f"{c}4"].value for c in "ABC"] == ["date", "$m", "text"]
    terms_rows = (*range(5, 17), 19, *range(FIRST_RATE, LAST_RATE_CELL + 1))
    assert all(wb["Terms"][f"D{r}"].value for r in terms_rows)
    assert [wb["Results"][f"{c}5"].value for c in "BCDEFGHI"] == ["date", *["$m"] * 6, "text"]
    for row in (*range(6, 14), *range(16, 20)):
        assert wb["Results"][f"K{row}"].value and wb["Results"][f"L{row}"].value, f"Results row {row}"
    assert [wb["Sensitivity"][f"{c}5"].value for c in "ABCDE"] == ["% a year", "% a year", "date", "$m", "$m"]


def test_panes_are_frozen_at_the_label_and_time_intersection(wb: openpyxl.Workbook) -> None:
    panes = {ws.title: ws.freeze_panes for ws in wb}
    assert panes == {
        "Cover": None,
        "Inputs": "B6",
        "Terms": "A5",
        "Results": "C7",
        "Sensitivity": "B7",
        "Checks": "A7",
        "xlwings.conf": None,
    }


def test_every_sheet_prints_landscape_fit_to_width_with_a_versioned_footer(wb: openpyxl.Workbook) -> None:
    for ws in wb:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_area, ws.title
        assert ws.oddFooter.left.text == f"xlspv {xlspv.__version__}", ws.title
    titles = {ws.title: ws.print_title_rows for ws in wb if ws.print_title_rows}
    assert titles == {
        "Inputs": "$4:$5",
        "Terms": "$4:$4",
        "Results": "$5:$6",
        "Sensitivity": "$5:$6",
        "Checks": "$6:$6",
    }


def test_the_xlwings_conf_sheet_points_the_classic_add_in_at_udfs(wb: openpyxl.Workbook) -> None:
    """The add-in reads A1 down to the first blank, keys case-insensitively (GetConfig("UDF MODULES"))."""
    ws = wb["xlwings.conf"]
    assert (ws["A1"].value, ws["B1"].value, ws["A2"].value) == ("UDF Modules", "udfs", None)
    assert udfs.__name__ == ws["B1"].value


def test_formulas_call_only_our_functions_and_original_format_built_ins(wb: openpyxl.Workbook) -> None:
    called = set()
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                text = cell.value.text if isinstance(cell.value, ArrayFormula) else cell.value
                if cell.data_type == "f" or isinstance(cell.value, ArrayFormula):
                    assert "_xl" not in text, f"{ws.title}!{cell.coordinate}: {text}"
                    called |= set(re.findall(r"([A-Z][A-Z0-9_.]*)\(", text))
    assert called - set(udfs.__all__) <= BUILTINS
    assert set(udfs.__all__) - {"SPV_PAYOUT", "SPV_RISK"} <= called  # SPV_RISK: not in the template yet


def test_the_results_sheet_says_how_to_connect_the_functions(wb: openpyxl.Workbook) -> None:
    notes = " ".join(str(c.value) for row in wb["Results"]["K21:K28"] for c in row if c.value)
    for needed in ("#NAME?", "xlwings addin install", "Import Functions", "UDF Modules = udfs", ".xlsm"):
        assert needed in notes
    assert "SPV_RATE_GRID" in notes


def test_the_sensitivity_sheet_says_what_the_grid_shows_and_that_it_needs_the_add_in(
    wb: openpyxl.Workbook,
) -> None:
    notes = " ".join(str(c.value) for row in wb["Sensitivity"]["G6:G12"] for c in row if c.value)
    for needed in ("#N/A", "#NUM!", "cumulative", "scheduled", "#NAME?", "Connecting", "Terms!B22:B41"):
        assert needed in notes
    assert wb["Sensitivity"]["B3"].value == "='Checks'!$C$4"  # the master check on every output sheet


# --- (d) files -------------------------------------------------------------------------------------------


def _generated_cell(wb: openpyxl.Workbook) -> str:
    (cell,) = [row[0].offset(column=1) for row in wb["Cover"]["A1:A10"] if row[0].value == "Generated"]
    return cell.coordinate


def fingerprint(path: Path) -> dict[str, Any]:
    """Everything a user sees or Excel reads, per sheet; the Cover's generation time left out."""
    wb = openpyxl.load_workbook(path)
    generated = _generated_cell(wb)
    print_ = {}
    for ws in wb:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                value = ("array", c.value.ref, c.value.text) if isinstance(c.value, ArrayFormula) else c.value
                if (ws.title, c.coordinate) == ("Cover", generated):
                    value = "<generated>"
                link = c.hyperlink.location or c.hyperlink.target if c.hyperlink else None
                cells[c.coordinate] = (
                    repr(value),
                    c.data_type,
                    c.number_format,
                    repr(c.font),
                    repr(c.fill),
                    repr(c.border),
                    repr(c.alignment),
                    repr(c.protection),
                    link,
                )
        print_[ws.title] = {
            "cells": cells,
            "view": (ws.freeze_panes, ws.sheet_view.tabSelected, ws.sheet_view.showGridLines),
            "print": (
                ws.print_area,
                ws.print_title_rows,
                ws.page_setup.orientation,
                ws.page_setup.fitToWidth,
                ws.page_setup.fitToHeight,
                ws.sheet_properties.pageSetUpPr.fitToPage,
                ws.oddFooter.left.text,
                ws.oddFooter.center.text,
                ws.oddFooter.right.text,
            ),
            "columns": {k: (d.width, d.number_format) for k, d in ws.column_dimensions.items()},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": [
                (
                    str(dv.sqref),
                    dv.type,
                    dv.operator,
                    dv.formula1,
                    dv.formula2,
                    dv.allow_blank,
                    dv.promptTitle,
                    dv.prompt,
                    dv.errorTitle,
                    dv.error,
                )
                for dv in ws.data_validations.dataValidation
            ],
            "tables": [
                (t.displayName, t.ref, [c.name for c in t.tableColumns], repr(t.tableStyleInfo))
                for t in ws.tables.values()
            ],
        }
    with zipfile.ZipFile(path) as package:
        metadata = package.read("xl/metadata.xml")
    anchors = {
        title: re.findall(r'<c\b[^>]*\bcm="1"[^>]*>', xml) for title, xml in _sheet_parts(path).items()
    }
    names = sorted((name, d.attr_text) for name, d in wb.defined_names.items())
    return {
        "sheets": wb.sheetnames,
        "names": names,
        "per_sheet": print_,
        "metadata": metadata,
        "anchors": anchors,
    }


def _first_difference(a: Any, b: Any, where: str = "") -> str | None:
    """Path and values of the first difference between two nested fingerprints, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            found = _first_difference(a.get(key), b.get(key), f"{where}/{key}")
            if found:
                return found
        return None
    if a == b:
        return None
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):  # a cell: show what differs
        a, b = zip(*[(x, y) for x, y in zip(a, b, strict=True) if x != y], strict=True)
    return f"{where}: committed {a!r:.300} != fresh {b!r:.300}"


def test_the_committed_template_is_what_write_template_writes_today(template: Path) -> None:
    """Compared semantically: the generation time (Cover) and the zip/docProps timestamps differ by design.

    Regenerate it with ``xlspv template workbooks/spv_template.xlsx --force``.
    """
    assert COMMITTED.exists(), "workbooks/spv_template.xlsx is missing; run: xlspv template --force"
    committed, fresh = fingerprint(COMMITTED), fingerprint(template)
    assert _first_difference(committed, fresh) is None, "regenerate workbooks/spv_template.xlsx"
    assert committed == fresh
    wb = openpyxl.load_workbook(COMMITTED)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", wb["Cover"][_generated_cell(wb)].value)


def test_write_template_refuses_to_replace_a_file_without_force(tmp_path: Path) -> None:
    path = tmp_path / "mine.xlsx"
    path.write_bytes(b"not a workbook")
    with pytest.raises(OutputError, match="the file exists; pass --force"):
        write_template(path)
    assert path.read_bytes() == b"not a workbook"
    write_template(path, force=True, generated=GENERATED)
    assert openpyxl.load_workbook(path).sheetnames == SHEETS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.xlsx"]  # no temporary file left


def test_the_cover_shows_the_generation_time_given(wb: openpyxl.Workbook) -> None:
    assert wb["Cover"][_generated_cell(wb)].value == "2026-01-02 03:04:05 UTC"


# --- (e) a dated deemed-rate schedule, the rates to compare, nothing funded ---------------------------

#: A schedule as a user types it: the first rate's date on the deemed_rate row (C5), later rates in the
#: spare rows with a blank row between them (blank rows inside the Terms range are skipped).
SCHEDULE = {dt.date(2026, 3, 31): 0.055, dt.date(2030, 1, 1): 0.07, dt.date(2035, 7, 1): 0.045}


def _template_with_schedule(template: Path, path: Path) -> Path:
    wb = openpyxl.load_workbook(template)
    ws = wb["Terms"]
    (first_day, first_rate), *later = sorted(SCHEDULE.items())
    ws["B5"], ws["C5"] = first_rate, first_day
    for row, (day, rate) in zip((13, 15), later, strict=True):
        ws[f"A{row}"], ws[f"B{row}"], ws[f"C{row}"] = "deemed_rate", rate, day
    wb.save(path)
    return path


def test_a_schedule_typed_in_the_template_reads_back_and_computes_as_the_core(
    template: Path, tmp_path: Path
) -> None:
    from xlspv.workbooks.reader import read_input

    path = _template_with_schedule(template, tmp_path / "schedule.xlsx")
    terms = Terms(SCHEDULE)
    spv = read_input(path)
    assert spv.terms() == terms
    assert (spv.dates, spv.values) == (example.dates(), example.values())

    core = xlspv.compute(example.values(), example.dates(), terms)
    flat = xlspv.compute(example.values(), example.dates(), example.TERMS)
    assert core.summary().threshold_date != flat.summary().threshold_date  # the schedule matters here
    ev = evaluate(path)
    got = ev.range("Results", f"B7:I{6 + N_FLOWS}")
    for i, (row, (_, want)) in enumerate(zip(got, core.table().iterrows(), strict=True)):
        numbers = ["value", "interest", "japan", "us", "partner", "balance"]
        assert row[1:7] == pytest.approx([want[c] for c in numbers], rel=1e-12, abs=1e-9), f"row {i + 1}"
        assert row[7] == want["tier"], f"row {i + 1} tier"
    s = core.summary()
    assert ev["Results", "M7"] == serial(s.threshold_date)
    assert ev["Results", "M16"] == pytest.approx(s.xirr_japan, rel=1e-12)
    assert _checks(ev) == [True] * 8
    _assert_grid_equals_the_core(ev, GRID_RATES, terms)  # each rate to compare replaces the schedule


def test_an_undated_second_deemed_rate_is_refused_naming_the_effective_from_column(
    template: Path, tmp_path: Path
) -> None:
    wb = openpyxl.load_workbook(template)
    wb["Terms"]["A13"], wb["Terms"]["B13"] = "deemed_rate", 0.07
    wb.save(tmp_path / "twice.xlsx")
    ev = evaluate(tmp_path / "twice.xlsx")
    assert ev["Results", "B6"] == "#VALUE!"
    assert ev["Checks", "C4"] is False
    rows = [[c.value for c in row] for row in wb["Terms"]["A5:C16"]]
    with pytest.raises(
        ValueError,
        match="deemed_rate is given twice; keep one row, or give each rate an "
        "effective date in the third column to make a schedule",
    ):
        Terms.from_mapping(rows)


def test_the_effective_from_cells_take_dates_on_deemed_rate_rows_only(wb: openpyxl.Workbook) -> None:
    ws = wb["Terms"]
    dated = _validation(ws, "C5")
    assert str(dated.sqref) == "C5 C13:C16"
    assert (dated.type, dated.operator, dated.allow_blank) == ("date", "between", True)
    assert (dated.formula1, dated.formula2) == ("61", "2958465")  # 1 March 1900 .. 31 December 9999
    refused = _validation(ws, "C6")  # every other term: an effective date would be silently meaningless
    assert (str(refused.sqref), refused.type, refused.formula1) == ("C6:C12", "custom", "FALSE")
    names = _validation(ws, "A13")
    assert (str(names.sqref), names.type, names.formula1) == ("A13:A16", "list", '"deemed_rate"')
    assert "column C" in ws["E5"].value and "rows 13-16" in ws["E5"].value  # how to enter a schedule


def test_no_sheet_but_inputs_and_terms_holds_an_input_cell(wb: openpyxl.Workbook) -> None:
    assert {sheet for sheet, _ in INPUT_CELLS} == {"Inputs", "Terms"}


def test_nothing_funded_leaves_the_multiple_blank_not_a_division_error(template: Path) -> None:
    fundings = {f"Inputs!B{row}": 0.0 for row, v in enumerate(example.values(), start=FIRST_FLOW) if v < 0}
    ev = evaluate(template, inputs=fundings)
    assert ev["Results", "M8"] == 0
    assert ev["Results", "M13"] == ""  # xlspv.compute: multiple_japan is None when nothing is funded
    assert ev["Results", "M7"] == "#N/A"  # no threshold without a funding
    errors = {
        (sheet, cell)
        for sheet in ("Results", "Sensitivity", "Checks", "Cover")
        for cell in (f"{c}{r}" for c in "ABCDEFGHIJKLMN" for r in range(1, 60))
        if ev[sheet, cell] == "#DIV/0!"
    }
    assert errors == set()
    assert _checks(ev) == [True] * 8
