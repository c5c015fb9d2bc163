"""The template workbook: cash flows and terms to type into, and live formulas calling the add-in.

Sheets, in the FAST / ICAEW order: Cover, Inputs (the Excel table ``Flows``: Date, Value, Note),
Terms (the input sheet of everything else: name/value/effective-date rows under the workbook name
``Terms``, with drop-downs and an explanation per term and spare rows for a dated deemed-rate schedule;
the check tolerance; the deemed rates to compare, named ``SensitivityRates``; then the Conventions),
Results (``SPV_WATERFALL`` spilling the table, ``SPV_IRR`` per party, ``THRESHOLD_DATE``,
``SPV_VERSION``, totals, and how to connect the functions), Sensitivity (outputs only:
``SPV_RATE_GRID`` spilling Japan's XIRR, the threshold date, Japan's receipts and the unrecovered
deemed allocation per rate to compare), Checks (native formulas) and ``xlwings.conf`` (``UDF Modules``
= ``udfs``, read by the classic add-in). Input cells live on Inputs and Terms only.

The inputs hold the built-in example (:mod:`xlspv.examples.spv`), so a fresh template shows its waterfall
as soon as the add-in is connected. ``SPV_WATERFALL`` is a dynamic array anchored at Results!B6 whose
``ref`` covers the example's rows: Excel 365 spills it to fit ``Flows``; older Excel, LibreOffice and
the ``formulas`` engine show that fixed range. Totals and checks read the spill's columns down to
:data:`SPILL_ROOM` rows, so they follow a table that grows in Excel 365. ``SPV_RATE_GRID`` is a dynamic
array anchored at Sensitivity!A6 whose ``ref`` covers the rates delivered; it reads the
:data:`RATE_ROOM` cells of ``SensitivityRates``, so rates typed below the last one join the grid in
Excel 365.

Nothing here computes the waterfall: the workbook's numbers come from the add-in (or from the engine
a test registers in its place).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook import Workbook
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ..daycount import DAY_COUNTS
from ..examples import spv as example
from ..terms import ALLOCATION_BASES, COMPOUNDINGS, GRID_COLUMNS, TERM_INFO, rates_around
from .cover import CHECKS_SHEET, add_checks, add_cover, add_master_check_line, conventions_rows
from .files import check_output, save_workbook
from .runtimes import apply_runtime
from .style import (
    DATE,
    HEADER_FILL,
    HEADER_FONT,
    INTEGER,
    MONEY,
    MULTIPLE,
    NOTE_FONT,
    PERCENT,
    SUBTITLE_FONT,
    print_setup,
    set_widths,
    style_input,
    write_header,
    write_text,
    write_title,
)

DEFAULT_NAME = "spv_template.xlsx"
TITLE = "xlspv template: the cash split of one US-Japan strategic-investment SPV"

INPUTS, TERMS, RESULTS, SENSITIVITY, CONFIG = "Inputs", "Terms", "Results", "Sensitivity", "xlwings.conf"
FLOWS = "Flows"  # the Excel table of cash flows
TERMS_NAME = "Terms"  # the workbook name of the three-column name/value/effective-date range
TOLERANCE_NAME = "CheckTolerance"
FLOW_COLUMNS = ("Date", "Value", "Note")
FLOW_UNITS = ("date", example.UNIT, "text")

# Inputs: units row, table header, first data row.
FLOWS_UNIT_ROW, FLOWS_HEADER_ROW = 4, 5
# Terms: header row and columns; the first term row is just below the header.
TERMS_HEADER_ROW = 4
TERMS_COLUMNS = ("Term", "Value", "Effective from", "Unit", "Explanation")
#: Blank rows at the end of the ``Terms`` range for the later rates of a dated deemed-rate schedule.
SPARE_RATE_ROWS = 4
# Results: the waterfall's units row, its anchor (header) row and columns; the headline block.
WATERFALL_UNIT_ROW, WATERFALL_ROW = 5, 6
WATERFALL_FIRST_COL = 2  # column B; column A holds the row labels
WATERFALL_COLUMNS = ("date", "value", "interest", "japan", "us", "partner", "balance", "tier")
WATERFALL_UNITS = ("date", *[example.UNIT] * 6, "text")
WATERFALL_FORMATS = (DATE, *[MONEY] * 6, None)
#: Rows below the waterfall header that totals and checks read: the spill may grow this far.
SPILL_ROOM = 1000
HEADLINE_COL = 11  # column K: label, unit, value, note
#: The headline results, one row each from the waterfall's header row down (column M holds the value).
HEADLINE = (
    "Engine",
    "Threshold date",
    "Japan funded",
    "Cash distributed",
    "Japan received",
    "US received",
    "Partner received",
    "Japan multiple of money",
)

# Sensitivity: the units row and the grid's anchor (header) row; the spill from column A.
GRID_UNIT_ROW, GRID_ROW = 5, 6
RATES_NAME = "SensitivityRates"  # the workbook name of the rate cells (on Terms) SPV_RATE_GRID reads
#: Rate cells (input-styled, validated, on Terms) under ``SensitivityRates``; blank ones at the end are
#: ignored, so the grid may spill this many rows below its header.
RATE_ROOM = 20
GRID_UNITS = ("% a year", "% a year", "date", example.UNIT, example.UNIT)
GRID_FORMATS = (PERCENT, PERCENT, DATE, MONEY, MONEY)

CHECK_TOLERANCE = 1e-9
PARTIES = ("Japan", "US", "Partner", "Project")

#: The Terms sheet's term rows, in order: one per term of :data:`xlspv.terms.TERM_INFO`.
#: (guarantee_fee is optional and has no row of its own: a user adds it below, like any term row.)
_TERM_NOTES = {name: (info.unit, info.note) for name, info in TERM_INFO.items() if name != "guarantee_fee"}
#: The bases one SPV can take (pooled is a program reading: the portfolio command's).
_SPV_BASES = tuple(b for b in ALLOCATION_BASES if b != "pooled")

#: The Terms sheet's rows: the terms (one per name, then the spare schedule rows), the check tolerance,
#: and the rates to compare, each block after a blank row and a subtitle row.
TERMS_FIRST_ROW = TERMS_HEADER_ROW + 1
TERMS_LAST_ROW = TERMS_FIRST_ROW + len(_TERM_NOTES) + SPARE_RATE_ROWS - 1
TOLERANCE_ROW = TERMS_LAST_ROW + 3
RATES_FIRST_ROW = TOLERANCE_ROW + 3
RATES_LAST_ROW = RATES_FIRST_ROW + RATE_ROOM - 1
RATES_CELLS = f"{TERMS}!B{RATES_FIRST_ROW}:B{RATES_LAST_ROW}"

SCHEDULE_NOTE = (
    f"A dated schedule: enter the first rate's effective date in column C of this row, and each later rate "
    f"in a spare row below (rows {TERMS_LAST_ROW - SPARE_RATE_ROWS + 1}-{TERMS_LAST_ROW}: deemed_rate, the "
    "rate, its effective date). Each rate applies from its date on; the first date must be on or before "
    "the first cash flow."
)
SPARE_NOTE = (
    "Spare row for a dated deemed-rate schedule: pick deemed_rate, enter the rate and the date it applies "
    "from; leave blank otherwise."
)
RATES_NOTE = (
    f"The deemed rates the {SENSITIVITY} sheet compares (the range {RATES_NAME}), one per row from the top, "
    "no blank row between rates; blank cells at the end are ignored. Each replaces deemed_rate, a "
    "schedule too; every other term applies."
)
GRID_NOTES = (
    f"Each row recomputes the waterfall of {FLOWS} at that row's deemed rate (column A), every other term "
    f"from {TERMS}.",
    "Japan received includes the partner's part; unrecovered is the deemed allocation still due after the "
    "last row.",
    "#N/A: the threshold is not reached at that rate; #NUM!: Japan has no XIRR.",
    "SPV_RATE_GRID computes the cumulative reading: with allocation_basis = scheduled it shows #VALUE!.",
    f"The rates to compare are inputs on {TERMS} ({RATES_CELLS}, named {RATES_NAME}); Excel 365 spills the "
    "grid to fit them (blank cells at the end are ignored);",
    "  older Excel and LibreOffice show a fixed range sized for the rates delivered.",
    f"Needs the xlspv add-in: without it the grid shows #NAME? (see {RESULTS}, 'Connecting the functions').",
)

CONNECT_NOTES = (
    "The Results, Sensitivity and Checks cells that call SPV_WATERFALL, SPV_IRR, THRESHOLD_DATE, "
    "SPV_RATE_GRID and SPV_VERSION need the xlspv add-in.",
    "Opened without it they show #NAME? and the master check is FALSE; Inputs and Terms still work.",
    "Windows, classic xlwings add-in: install xlspv and xlwings in your Python, run "
    "'xlwings addin install', open this file,",
    "  click Import Functions on the xlwings tab (the xlwings.conf sheet already sets UDF Modules = udfs), "
    "save as .xlsm, and press Ctrl+Alt+F9.",
    "xlwings Server or xlwings Lite: load udfs.py's functions there; the README gives the formula names "
    "each runtime uses.",
    f"Excel 365 spills SPV_WATERFALL from B{WATERFALL_ROW} to fit the rows of {FLOWS}; older Excel and "
    "LibreOffice show a fixed range sized for the example.",
    f"Totals and checks read the waterfall down to row {WATERFALL_ROW + SPILL_ROOM}.",
)


def write_template(
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    generated: dt.datetime | None = None,
    runtime: str = "classic",
) -> Path:
    """Write the template workbook to ``path`` (atomically); refuse to replace a file without ``force``.

    Parameters
    ----------
    path : path
        The xlsx file to write (``workbooks/spv_template.xlsx`` is the committed copy).
    force : bool
        Replace ``path`` if it exists (default: refuse).
    generated : datetime, optional
        The generation time the Cover shows (default: now, UTC).
    runtime : {"classic", "server", "lite"}
        The Excel runtime whose function names the formulas store (:mod:`.runtimes`).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        ``path`` exists and ``force`` is false (the file is left as it was).

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> path = write_template(pathlib.Path(tempfile.mkdtemp()) / "spv.xlsx")
    >>> openpyxl.load_workbook(path).sheetnames
    ['Cover', 'Inputs', 'Terms', 'Results', 'Sensitivity', 'Checks', 'xlwings.conf']
    >>> write_template(path)
    Traceback (most recent call last):
    ...
    xlspv.errors.OutputError: .../spv.xlsx: the file exists; pass --force to replace it, ...
    """
    target = check_output(path, force=force)
    wb, dynamic_arrays = build_template(generated=generated, runtime=runtime)
    return save_workbook(wb, target, force=force, dynamic_arrays=dynamic_arrays)


def build_template(
    *, generated: dt.datetime | None = None, runtime: str = "classic"
) -> tuple[Workbook, dict[str, list[str]]]:
    """The template as an openpyxl workbook, and the anchors of its dynamic arrays per sheet."""
    wb = Workbook()
    flows = example.flows()
    _inputs_sheet(wb.active, flows)
    rates = rates_to_compare()
    _terms_sheet(wb.create_sheet(TERMS), rates=rates)
    results = wb.create_sheet(RESULTS)
    anchors = _results_sheet(results, n_rows=len(flows))
    sensitivity = wb.create_sheet(SENSITIVITY)
    grid_anchors = _sensitivity_sheet(sensitivity, n_rates=len(rates))
    master = add_checks(wb, _checks())
    _config_sheet(wb.create_sheet(CONFIG))
    for ws in (results, sensitivity):
        add_master_check_line(ws, master)
        # An explicit style, so no program shows the flag in column B's number format (LibreOffice would).
        ws["B3"].font = SUBTITLE_FONT
    cover = add_cover(
        wb,
        title=TITLE,
        description=(
            f"Type one SPV's cash flows on {INPUTS}, its terms and the deemed rates to compare on {TERMS}; "
            f"{RESULTS} computes the waterfall with the xlspv Excel functions, {SENSITIVITY} compares the "
            f"deemed rates and "
            f"{CHECKS_SHEET} verifies the waterfall. Money in US$ millions."
        ),
        terms=example.TERMS,
        input_name=None,
        input_sha256=None,
        master_check=master,
        generated=generated,
    )
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws is cover
    wb.active = 0
    return wb, apply_runtime(wb, runtime, {RESULTS: anchors, SENSITIVITY: grid_anchors})


def _flows_ref(column: str) -> str:
    return f"{FLOWS}[{column}]"


def _inputs_sheet(ws: Worksheet, rows: Sequence[tuple[dt.date, float, str]]) -> None:
    """The ``Flows`` table of (date, value, note) rows, styled as inputs, with data validation."""
    ws.title = INPUTS
    write_title(
        ws,
        "Inputs: the SPV's cash flows",
        f"One row per cash flow, in {example.UNIT}: a Japan funding is negative, cash distributed to the "
        f"two countries is positive. Yellow cells are inputs; add rows at the foot of the {FLOWS} table.",
    )
    for offset, unit in enumerate(FLOW_UNITS):
        ws.cell(row=FLOWS_UNIT_ROW, column=1 + offset, value=unit).font = NOTE_FONT
    ws.cell(row=FLOWS_UNIT_ROW, column=1 + len(FLOW_UNITS), value="<- unit of each column").font = NOTE_FONT
    write_header(ws, FLOWS_HEADER_ROW, list(FLOW_COLUMNS))
    first = FLOWS_HEADER_ROW + 1
    for offset, (when, value, note) in enumerate(rows):
        row = first + offset
        style_input(ws.cell(row=row, column=1, value=when), DATE)
        style_input(ws.cell(row=row, column=2, value=value), MONEY)
        style_input(write_text(ws, row, 3, note))
    last = first + len(rows) - 1
    table = Table(displayName=FLOWS, ref=f"A{FLOWS_HEADER_ROW}:C{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
    ws.add_table(table)

    _validate(
        ws,
        f"A{first}:A{last}",
        DataValidation(type="date", operator="between", formula1="61", formula2="2958465"),
        title="Date",
        prompt="The date of the cash flow (rows may be in any order).",
        error="Enter a date between 1 March 1900 and 31 December 9999, e.g. 2026-03-31.",
    )
    _validate(
        ws,
        f"B{first}:B{last}",
        DataValidation(
            type="decimal", operator="between", formula1="-1000000000000", formula2="1000000000000"
        ),
        title=f"Value, {example.UNIT}",
        prompt=f"In {example.UNIT}: negative = a Japan funding, positive = cash distributed, 0 = nothing.",
        error=f"Enter a number in {example.UNIT}: negative for a Japan funding, positive for cash paid out.",
    )
    _validate(
        ws,
        f"C{first}:C{last}",
        DataValidation(type="textLength", operator="lessThanOrEqual", formula1="255", allow_blank=True),
        title="Note",
        prompt="A comment on the row (optional); it is never computed with.",
        error="Keep the note to 255 characters.",
    )
    set_widths(ws, {"A": 14, "B": 16, "C": 44, "D": 24})
    ws.freeze_panes = f"B{first}"
    print_setup(ws, title_rows=f"{FLOWS_UNIT_ROW}:{FLOWS_HEADER_ROW}", area=f"A1:D{last}")


def _terms_sheet(ws: Worksheet, *, rates: Sequence[float]) -> None:
    """The ``Terms`` range, the model settings and the rates to compare (all inputs); then Conventions."""
    write_title(
        ws,
        "Terms",
        f"The SPV's terms, read by every add-in formula as the range named {TERMS_NAME} (columns A:C, "
        f"rows {TERMS_FIRST_ROW}-{TERMS_LAST_ROW}; blank rows are skipped). Yellow cells are inputs; a blank "
        f"value means the default. Below: the model settings and the deemed rates the {SENSITIVITY} sheet "
        "compares.",
    )
    write_header(ws, TERMS_HEADER_ROW, list(TERMS_COLUMNS))
    _term_rows(ws)
    _define(ws.parent, TERMS_NAME, f"{quote_sheetname(ws.title)}!$A${TERMS_FIRST_ROW}:$C${TERMS_LAST_ROW}")
    _tolerance_rows(ws)
    _rates_rows(ws, rates)

    row = RATES_LAST_ROW + 2
    ws.cell(row=row, column=1, value="Conventions").font = SUBTITLE_FONT
    write_text(
        ws,
        row,
        2,
        "Written for the terms delivered with this template; the live values are in the table above.",
    ).font = NOTE_FONT
    row += 1
    for label, text in conventions_rows(example.TERMS):
        write_text(ws, row, 1, label)
        write_text(ws, row, 2, text)
        row += 1
    set_widths(ws, {"A": 26, "B": 16, "C": 14, "D": 10, "E": 96})
    ws.freeze_panes = f"A{TERMS_FIRST_ROW}"
    print_setup(ws, title_rows=f"{TERMS_HEADER_ROW}:{TERMS_HEADER_ROW}", area=f"A1:E{row - 1}")


def _term_rows(ws: Worksheet) -> None:
    """One row per term (value an input; effective date an input on deemed_rate only), then spare rows.

    The spare rows are blank inputs inside the ``Terms`` range: a dated schedule's later rates go there
    (``Terms.from_mapping`` skips blank rows). A schedule among the example's terms fills them from the top.
    """
    rows = example.TERMS.as_range()  # a schedule's rates first, in date order
    later_rates = [row for row in rows[1:] if row[0] == "deemed_rate"]
    firsts = [row for row in rows if row not in later_rates]
    spare_first = TERMS_FIRST_ROW + len(firsts)
    assert tuple(name for name, _, _ in firsts) == tuple(_TERM_NOTES)
    assert len(later_rates) <= SPARE_RATE_ROWS
    for row, (name, value, effective) in enumerate(firsts, start=TERMS_FIRST_ROW):
        unit, note = _TERM_NOTES[name]
        write_text(ws, row, 1, name)
        cell = write_text(ws, row, 2, value)
        style_input(cell, _term_format(unit))
        _validate(ws, cell.coordinate, _term_validation(name), **_term_messages(name))
        if name == "deemed_rate":
            _effective_input(ws, row, effective)
            note = f"{note} {SCHEDULE_NOTE}"
        write_text(ws, row, 4, unit)
        write_text(ws, row, 5, note).alignment = Alignment(wrap_text=True, vertical="top")
    spares = [*later_rates, *[(None, None, None)] * (SPARE_RATE_ROWS - len(later_rates))]
    for row, (spare_name, value, effective) in enumerate(spares, start=spare_first):
        style_input(write_text(ws, row, 1, spare_name))
        style_input(write_text(ws, row, 2, value), PERCENT)
        _effective_input(ws, row, effective)
        write_text(ws, row, 4, TERM_INFO["deemed_rate"].unit)
        write_text(ws, row, 5, SPARE_NOTE).font = NOTE_FONT
    _validate(
        ws,
        f"A{spare_first}:A{TERMS_LAST_ROW}",
        DataValidation(type="list", formula1='"deemed_rate"', allow_blank=True),
        title="A later deemed rate",
        prompt="Pick deemed_rate to add a rate to a dated schedule; leave blank otherwise.",
        error="Only deemed_rate may take several rows (a dated schedule); pick deemed_rate or leave blank.",
    )
    rate = _term_validation("deemed_rate")
    rate.allow_blank = True
    _validate(ws, f"B{spare_first}:B{TERMS_LAST_ROW}", rate, **_term_messages("deemed_rate"))
    _validate(
        ws,
        f"C{TERMS_FIRST_ROW + 1}:C{spare_first - 1}",
        DataValidation(type="custom", formula1="FALSE"),
        title="Effective from",
        prompt="Only deemed_rate rows take an effective date; leave blank.",
        error="Only deemed_rate rows take an effective date (a dated schedule); leave this cell blank.",
    )
    effective_cells = f"C{TERMS_FIRST_ROW} C{spare_first}:C{TERMS_LAST_ROW}"
    _validate(
        ws,
        effective_cells,
        DataValidation(type="date", operator="between", formula1="61", formula2="2958465", allow_blank=True),
        title="Effective from",
        prompt="For a dated schedule only: the date this deemed rate applies from. Leave blank for one rate.",
        error="Enter a date between 1 March 1900 and 31 December 9999, e.g. 2026-03-31, or leave blank.",
    )


def _effective_input(ws: Worksheet, row: int, effective: dt.date | None) -> None:
    style_input(ws.cell(row=row, column=3, value=effective), DATE)


def _tolerance_rows(ws: Worksheet) -> None:
    """The model settings: the Checks sheet's relative tolerance (``CheckTolerance``)."""
    row = TOLERANCE_ROW
    ws.cell(row=row - 1, column=1, value="Model settings").font = SUBTITLE_FONT
    write_text(ws, row, 1, "check_tolerance")
    cell = ws.cell(row=row, column=2, value=CHECK_TOLERANCE)
    style_input(cell, "0.0E+00")
    write_text(ws, row, 4, "ratio")
    write_text(
        ws,
        row,
        5,
        "Relative tolerance of the Checks sheet's sums (1E-09 = one part in a billion); "
        "not a term of the SPV.",
    )
    _validate(
        ws,
        cell.coordinate,
        DataValidation(type="decimal", operator="between", formula1="0", formula2="0.01"),
        title="check_tolerance",
        prompt="Relative tolerance of the checks, e.g. 1E-09.",
        error="Enter a small positive number, at most 0.01.",
    )
    _define(ws.parent, TOLERANCE_NAME, f"{quote_sheetname(ws.title)}!${cell.column_letter}${cell.row}")


def _rates_rows(ws: Worksheet, rates: Sequence[float]) -> None:
    """The deemed rates to compare (``SensitivityRates``): :data:`RATE_ROOM` input cells in column B."""
    first, last = RATES_FIRST_ROW, RATES_LAST_ROW
    ws.cell(row=first - 1, column=1, value="Sensitivity: deemed rates to compare").font = SUBTITLE_FONT
    write_text(ws, first - 1, 5, RATES_NOTE).font = NOTE_FONT
    for row in range(first, last + 1):
        rate = rates[row - first] if row - first < len(rates) else None
        write_text(ws, row, 1, f"rate to compare {row - first + 1}")
        style_input(ws.cell(row=row, column=2, value=rate), PERCENT)
        write_text(ws, row, 4, TERM_INFO["deemed_rate"].unit)
    _validate(
        ws,
        f"B{first}:B{last}",
        DataValidation(type="decimal", operator="greaterThan", formula1="-1", allow_blank=True),
        title="Deemed rate to compare",
        prompt="An annual deemed rate to compare, e.g. 5.5%; one per row, no blank row between rates.",
        error="Enter a rate above -100%, e.g. 5.5%.",
    )
    _define(ws.parent, RATES_NAME, f"{quote_sheetname(ws.title)}!$B${first}:$B${last}")


def _term_format(unit: str) -> str | None:
    return {"% a year": PERCENT, "%": PERCENT, "years": INTEGER}.get(unit)


def _term_validation(name: str) -> DataValidation:
    if name == "deemed_rate":
        return DataValidation(type="decimal", operator="greaterThan", formula1="-1")
    if name in ("japan_share_before", "japan_share_after", "partner_share"):
        return DataValidation(type="decimal", operator="between", formula1="0", formula2="1")
    if name == "useful_life":
        return DataValidation(
            type="whole", operator="between", formula1="1", formula2="200", allow_blank=True
        )
    choices: dict[str, Iterable[str]] = {
        "day_count": DAY_COUNTS,
        "compounding": COMPOUNDINGS,
        "allocation_basis": _SPV_BASES,
    }
    return DataValidation(type="list", formula1=f'"{",".join(choices[name])}"')


def _term_messages(name: str) -> dict[str, str]:
    messages = {
        "deemed_rate": ("Annual deemed rate, e.g. 5.5%.", "Enter a rate above -100%, e.g. 5.5%."),
        "japan_share_before": (
            "Japan's share before the threshold, e.g. 50%.",
            "Enter a share from 0% to 100%.",
        ),
        "japan_share_after": (
            "Japan's share after the threshold, e.g. 10%.",
            "Enter a share from 0% to 100%.",
        ),
        "partner_share": ("The partner's part of Japan's side, e.g. 0%.", "Enter a share from 0% to 100%."),
        "useful_life": (
            "Whole years, e.g. 20 (scheduled basis only).",
            "Enter whole years from 1, or leave blank.",
        ),
        "day_count": ("Pick a day count.", f"Pick one of {', '.join(DAY_COUNTS)}."),
        "compounding": ("Pick a compounding.", f"Pick one of {', '.join(COMPOUNDINGS)}."),
        "allocation_basis": (
            "Pick a reading of the deemed allocation.",
            f"Pick {' or '.join(_SPV_BASES)}.",
        ),
    }
    prompt, error = messages[name]
    return {"title": name, "prompt": prompt, "error": error}


def _results_sheet(ws: Worksheet, *, n_rows: int) -> list[str]:
    """The spilled waterfall (B:I), the headline results (K:N) and how to connect the functions.

    Returns the anchor of the sheet's dynamic array.
    """
    write_title(
        ws,
        "Results (live formulas calling the xlspv add-in)",
        f"Computed from {INPUTS}!{FLOWS} and {TERMS}; money in {example.UNIT}. Every value here is a "
        "formula: do not type over it.",
    )
    # The waterfall: units row, then SPV_WATERFALL's header row and one row per cash flow.
    ws.cell(row=WATERFALL_UNIT_ROW, column=1, value="Unit").font = NOTE_FONT
    ws.cell(row=WATERFALL_ROW, column=1, value="Waterfall (one row per Flows row)").font = SUBTITLE_FONT
    first_col = WATERFALL_FIRST_COL
    last_col = first_col + len(WATERFALL_COLUMNS) - 1
    last_row = WATERFALL_ROW + n_rows  # header + one row per cash flow
    for offset, (unit, number_format) in enumerate(zip(WATERFALL_UNITS, WATERFALL_FORMATS, strict=True)):
        column = first_col + offset
        ws.cell(row=WATERFALL_UNIT_ROW, column=column, value=unit).font = NOTE_FONT
        letter = get_column_letter(column)
        if number_format:
            ws.column_dimensions[letter].number_format = number_format  # rows the spill grows into
            for row in range(WATERFALL_ROW + 1, last_row + 1):
                ws.cell(row=row, column=column).number_format = number_format
    anchor = f"{get_column_letter(first_col)}{WATERFALL_ROW}"
    ref = f"{anchor}:{get_column_letter(last_col)}{last_row}"
    args = f"{_flows_ref('Value')},{_flows_ref('Date')},{TERMS_NAME}"
    ws[anchor] = ArrayFormula(ref, f"=SPV_WATERFALL({args})")

    k = HEADLINE_COL
    write_header(ws, WATERFALL_UNIT_ROW, ["Result", "Unit", "Value", "Note"], col=k)
    col = {name: get_column_letter(first_col + i) for i, name in enumerate(WATERFALL_COLUMNS)}
    headline: list[tuple[str, str, str, str | None, str]] = [
        (
            "Engine",
            "text",
            "=SPV_VERSION()",
            None,
            "xlspv version computing this sheet; #NAME?: not connected.",
        ),
        (
            "Threshold date",
            "date",
            f"=THRESHOLD_DATE({args})",
            DATE,
            "Japan's deemed allocation recovered for good; #N/A: not reached.",
        ),
        ("Japan funded", example.UNIT, f'=-SUMIF({_flows_ref("Value")},"<0")', MONEY, "Sum of the fundings."),
        (
            "Cash distributed",
            example.UNIT,
            f'=SUMIF({_flows_ref("Value")},">0")',
            MONEY,
            "Sum of the distributions.",
        ),
        (
            "Japan received",
            example.UNIT,
            f"=SUM({_spill(col['japan'])})",
            MONEY,
            "Japan's payouts, partner's part included.",
        ),
        ("US received", example.UNIT, f"=SUM({_spill(col['us'])})", MONEY, "The US's payouts."),
        (
            "Partner received",
            example.UNIT,
            f"=SUM({_spill(col['partner'])})",
            MONEY,
            "The partner's part of Japan's payouts.",
        ),
        (
            "Japan multiple of money",
            "x",
            f'=IF({_headline_ref("Japan funded")}=0,"",'
            f"{_headline_ref('Japan received')}/{_headline_ref('Japan funded')})",
            MULTIPLE,
            "Japan received / Japan funded; blank when nothing is funded.",
        ),
    ]
    row = WATERFALL_ROW
    assert tuple(label for label, *_ in headline) == HEADLINE
    for label, unit, formula, number_format, note in headline:
        _headline_row(ws, row, label, unit, formula, number_format, note)
        row += 1
    row += 1
    write_header(ws, row, ["XIRR per party", "Unit", "Value", "Note"], col=k)
    irr_notes = {
        "Japan": "Minus its fundings plus its payouts.",
        "US": "#NUM!: the US never funds, so it has no IRR.",
        "Partner": "#NUM! while partner_share is 0.",
        "Project": "The SPV's own values.",
    }
    party_col = get_column_letter(k)
    for party in PARTIES:
        row += 1
        formula = f"=SPV_IRR({_flows_ref('Value')},{_flows_ref('Date')},${party_col}{row},{TERMS_NAME})"
        _headline_row(ws, row, party, "% a year", formula, PERCENT, irr_notes[party])
    row += 2
    ws.cell(row=row, column=k, value="Connecting the functions").font = SUBTITLE_FONT
    for text in CONNECT_NOTES:
        row += 1
        write_text(ws, row, k, text).font = NOTE_FONT

    set_widths(
        ws,
        {
            "A": 32,
            "B": 12,
            **{get_column_letter(c): 13 for c in range(3, last_col + 1)},
            get_column_letter(last_col + 1): 3,
            get_column_letter(k): 24,
            get_column_letter(k + 1): 9,
            get_column_letter(k + 2): 14,
            get_column_letter(k + 3): 60,
        },
    )
    ws.freeze_panes = f"{get_column_letter(first_col + 1)}{WATERFALL_ROW + 1}"
    print_setup(
        ws,
        title_rows=f"{WATERFALL_UNIT_ROW}:{WATERFALL_ROW}",
        area=f"A1:{get_column_letter(k + 3)}{max(last_row, row)}",
    )
    return [anchor]


def _headline_row(
    ws: Worksheet, row: int, label: str, unit: str, formula: str, number_format: str | None, note: str
) -> None:
    k = HEADLINE_COL
    write_text(ws, row, k, label)
    write_text(ws, row, k + 1, unit)
    cell = ws.cell(row=row, column=k + 2, value=formula)
    if number_format:
        cell.number_format = number_format
    write_text(ws, row, k + 3, note).font = NOTE_FONT


def _headline_ref(label: str) -> str:
    """Absolute reference of a headline result's value cell (column M)."""
    return f"${get_column_letter(HEADLINE_COL + 2)}${WATERFALL_ROW + HEADLINE.index(label)}"


def _spill(column: str) -> str:
    """Absolute range of one waterfall column below its header, :data:`SPILL_ROOM` rows deep."""
    return f"${column}${WATERFALL_ROW + 1}:${column}${WATERFALL_ROW + SPILL_ROOM}"


def rates_to_compare() -> list[float]:
    """The deemed rates the Sensitivity sheet is delivered with: the example's, -2 to +2 points.

    >>> rates_to_compare()
    [0.035, 0.045, 0.055, 0.065, 0.075]
    """
    return rates_around(example.TERMS)


def _sensitivity_sheet(ws: Worksheet, *, n_rates: int) -> list[str]:
    """``SPV_RATE_GRID`` spilling a row per rate of ``SensitivityRates`` (inputs on Terms) from A6.

    Returns the anchor of the sheet's dynamic array.
    """
    write_title(
        ws,
        "Sensitivity: Japan's returns over a grid of deemed rates",
        f"Computed from {INPUTS}!{FLOWS} and {TERMS}, once per deemed rate to compare (typed on {TERMS}, "
        f"the range {RATES_NAME}); money in {example.UNIT}. Every value here is a formula: do not type "
        "over it.",
    )
    first, last = GRID_ROW + 1, GRID_ROW + RATE_ROOM
    for offset, unit in enumerate(GRID_UNITS):
        ws.cell(row=GRID_UNIT_ROW, column=1 + offset, value=unit).font = NOTE_FONT
    note_col = len(GRID_UNITS) + 2  # one spacer column after the grid
    ws.cell(row=GRID_UNIT_ROW, column=note_col, value="<- unit of each column").font = NOTE_FONT

    # The grid: SPV_RATE_GRID's header row, then one row per rate; styled over the room it may spill into.
    for column, number_format in enumerate(GRID_FORMATS, start=1):
        ws.cell(row=GRID_ROW, column=column).font = HEADER_FONT
        ws.cell(row=GRID_ROW, column=column).fill = HEADER_FILL
        ws.column_dimensions[get_column_letter(column)].number_format = number_format
        for row in range(first, last + 1):
            ws.cell(row=row, column=column).number_format = number_format
    anchor = f"A{GRID_ROW}"
    ref = f"{anchor}:{get_column_letter(len(GRID_COLUMNS))}{GRID_ROW + n_rates}"
    args = f"{_flows_ref('Value')},{_flows_ref('Date')},{TERMS_NAME},{RATES_NAME}"
    ws[anchor] = ArrayFormula(ref, f"=SPV_RATE_GRID({args})")

    for offset, text in enumerate(GRID_NOTES):
        write_text(ws, GRID_ROW + offset, note_col, text).font = NOTE_FONT
    note_letter = get_column_letter(note_col)
    set_widths(
        ws,
        {
            **{get_column_letter(c): 15 for c in range(1, note_col - 1)},
            get_column_letter(note_col - 1): 3,
            note_letter: 100,
        },
    )
    ws.freeze_panes = f"B{first}"
    print_setup(ws, title_rows=f"{GRID_UNIT_ROW}:{GRID_ROW}", area=f"A1:{note_letter}{last}")
    return [anchor]


def _checks() -> list[tuple[str, str]]:
    """One native formula per check, each TRUE when it holds (FALSE, not an error, when it cannot run)."""
    r = f"{quote_sheetname(RESULTS)}!"
    col = {name: get_column_letter(WATERFALL_FIRST_COL + i) for i, name in enumerate(WATERFALL_COLUMNS)}

    def spill(name: str) -> str:
        return r + _spill(col[name])

    version, threshold = r + _headline_ref("Engine"), r + _headline_ref("Threshold date")
    distributed = r + _headline_ref("Cash distributed")
    japan_total, us_total = r + _headline_ref("Japan received"), r + _headline_ref("US received")
    dates, values = _flows_ref("Date"), _flows_ref("Value")
    tol = TOLERANCE_NAME
    return [
        (
            f"Every {FLOWS} row has a date and a number",
            f"=AND(COUNT({dates})=ROWS({dates}),COUNT({values})=ROWS({values}))",
        ),
        (
            "The add-in answers: SPV_VERSION() gives its version (#NAME?: not connected)",
            f"=ISTEXT({version})",
        ),
        (
            f"The waterfall has one dated row per {FLOWS} row",
            f"=IFERROR(COUNT({spill('date')})=ROWS({dates}),FALSE)",
        ),
        (
            "Each row: Japan's + the US's payouts = the cash distributed (nothing on funding rows)",
            f"=IFERROR(SUMPRODUCT(ABS({spill('japan')}+{spill('us')}-({spill('value')}>0)*{spill('value')}))"
            f"<={tol}*SUMPRODUCT(ABS({spill('value')})),FALSE)",
        ),
        (
            "Totals: Japan received + US received = cash distributed",
            f"=IFERROR(ABS({japan_total}+{us_total}-{distributed})<={tol}*ABS({distributed}),FALSE)",
        ),
        (
            "Each row: the partner's payout = partner_share x Japan's payout",
            f'=IFERROR(SUMPRODUCT(ABS({spill("partner")}-VLOOKUP("partner_share",{TERMS_NAME},2,FALSE)'
            f"*{spill('japan')}))<={tol}*SUMPRODUCT(ABS({spill('japan')})),FALSE)",
        ),
        (
            "The deemed balance is a number on every row and never negative",
            f'=IFERROR(AND(COUNT({spill("balance")})=ROWS({dates}),COUNTIF({spill("balance")},"<0")=0),FALSE)',
        ),
        (
            "The threshold date is the date of a 'threshold' row of the waterfall (#N/A: not reached)",
            f"=IFERROR(IF(ISNA({threshold}),TRUE,COUNTIFS({spill('date')},{threshold},"
            f'{spill("tier")},"threshold")>0),FALSE)',
        ),
    ]


def _config_sheet(ws: Worksheet) -> None:
    """``xlwings.conf``: keys in column A from A1 down, values in B (the add-in reads to the first blank)."""
    write_text(ws, 1, 1, "UDF Modules")
    write_text(ws, 1, 2, "udfs")
    write_text(
        ws,
        1,
        4,
        "Read by the classic xlwings add-in: keys in A from A1 down to the first blank, values in B. "
        "Keep column A free of anything else.",
    ).font = NOTE_FONT
    set_widths(ws, {"A": 16, "B": 12, "C": 3, "D": 100})
    print_setup(ws, area="A1:D1")


def _validate(ws: Worksheet, sqref: str, dv: DataValidation, *, title: str, prompt: str, error: str) -> None:
    dv.promptTitle = title[:32]
    dv.prompt = prompt[:255]
    dv.errorTitle = title[:32]
    dv.error = error[:255]
    dv.showInputMessage = True
    dv.showErrorMessage = True
    dv.errorStyle = "stop"
    ws.add_data_validation(dv)
    for ref in sqref.split():  # "C5 C13:C16": several ranges under one rule
        dv.add(ref)


def _define(wb: Workbook, name: str, ref: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=ref)


__all__ = ["DEFAULT_NAME", "build_template", "rates_to_compare", "write_template"]
