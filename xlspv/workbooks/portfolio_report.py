"""The portfolio report: the $550 billion program view as a workbook built to FAST / ICAEW standards.

Sheets, in the standard order: Cover, Terms (the report's inputs and the terms used), SPVs (a row per
SPV), Program by year, Cap & deadline, Flags, Sectors, Charts, Readings (both readings of the deemed
allocation side by side, when computed), Sensitivity (heat-mapped), Checks.
Every figure comes from :func:`xlspv.portfolio.analyse` (the waterfall is never recomputed here);
derived columns (net cash, cumulative sums, shares, multiples, cap headroom) are native formulas copied
down their column, and every check is a native formula, so they recalculate when a reviewer edits a
value. Money is in the portfolio's unit; the cap and the check tolerance are the only input cells.
The Checks sheet (and so the master check) holds the model's integrity checks, ties and sums; whether
the program complies (commitments within the cap, fundings by the deadline and after notice) is shown
as flags, on Cap & deadline and Flags, never as a failed check.

What a committee reads is per-SPV and per-year: the report never writes the flow rows themselves (a
1,000-SPV program has about 480,000), only their sums and the flagged ones.

The workbook is a :class:`~.streamed.StreamedWorkbook`: openpyxl writes the package and every stored
cell (titles, headers, totals, inputs, checks); the row blocks with a row per SPV, year, sector or
flag (:func:`.portfolio_layout.fill_rows`) are registered as columns, read straight from the result's
tables, and their rows' XML is generated at save time, a chunk at a time (10,000 SPVs: about 400,000
cells in under a second, in memory that does not grow with them).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import OutputError
from ..portfolio import (
    FUNDING_DEADLINE,
    LIFE_FROM_DEFAULT,
    MIN_NOTICE_DAYS,
    PROGRAM_CAP_USD_M,
    PortfolioResult,
)
from ..progress import Progress, say
from ..terms import TERM_INFO
from .cover import add_checks, add_cover, add_master_check_line
from .files import check_output, save_workbook, sha256_of
from .portfolio_checks import program_checks, readings_checks
from .portfolio_grids import readings_sheet, sensitivity_sheet
from .portfolio_layout import (
    CAP_CELL,
    CAP_FLAG_LABEL,
    CHECK_TOLERANCE,
    FIRST_ROW,
    FLAG_FILL,
    FORMATS,
    HEADER_ROW,
    TERMS_SHEET,
    UNITS_ROW,
    Columns,
    add_table,
    fill_rows,
    kind_of,
    table_header,
    units_row,
)
from .portfolio_program import SHEET as PROGRAM_SHEET
from .portfolio_program import add_program_rules, program_sheet
from .streamed import StreamedWorkbook
from .style import (
    CHECK_OK_FILL,
    DATE,
    INTEGER,
    MONEY,
    MULTIPLE,
    NOTE_FONT,
    PERCENT,
    SUBTITLE_FONT,
    print_setup,
    set_widths,
    shown_text,
    style_input,
    write_header,
    write_text,
    write_title,
)

# ---- sheets --------------------------------------------------------------------------------------


def _terms_sheet(wb: Workbook, result: PortfolioResult) -> None:
    ws = wb.create_sheet(TERMS_SHEET)
    unit = result.unit
    write_title(
        ws,
        "Terms",
        "The report's inputs (yellow: edit them and the formulas that use them "
        "recalculate) and the terms the waterfalls were computed with.",
    )
    write_header(ws, 4, ["Item", "Unit", "Value", "Comment"])
    cap = PROGRAM_CAP_USD_M / (1000.0 if unit == "$bn" else 1.0)
    inputs = [
        (
            "Program cap",
            unit,
            cap,
            MONEY,
            "The MOU of 4 September 2025: Japan funds up to $550 billion.",
            DataValidation(type="decimal", operator="greaterThan", formula1="0", allow_blank=False),
        ),
        (
            "Funding deadline",
            "date",
            FUNDING_DEADLINE,
            DATE,
            "The MOU: fundings until 19 January 2029 (flags use this date; fixed by the agreement).",
            None,
        ),
        (
            "Minimum notice",
            "days",
            MIN_NOTICE_DAYS,
            INTEGER,
            "The MOU: each funding at least 45 days after notice of selection (fixed by the agreement).",
            None,
        ),
        (
            "Check tolerance",
            unit,
            CHECK_TOLERANCE,
            "#,##0.000",
            "Largest difference the Checks accept between two totals (they are summed in different orders).",
            DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=False),
        ),
    ]
    for offset, (label, u, value, fmt, comment, validation) in enumerate(inputs):
        row = 5 + offset
        ws.cell(row=row, column=1, value=label)
        write_text(ws, row, 2, u)
        cell = ws.cell(row=row, column=3, value=value)
        cell.number_format = fmt
        write_text(ws, row, 4, comment)
        if validation is not None:
            style_input(cell)
            validation.error = f"{label}: enter a number."
            ws.add_data_validation(validation)
            validation.add(cell)
    row = 10
    ws.cell(
        row=row, column=1, value="Terms used (defaults; record only: editing them does not recompute)"
    ).font = SUBTITLE_FONT
    write_header(ws, row + 1, ["Term", "Unit", "Value", "Comment"])
    row += 2
    for name, value in result.terms.as_rows():
        ws.cell(row=row, column=1, value=name)
        info = TERM_INFO[name]
        percent = info.percent and isinstance(value, float)  # a dated rate's rows are texts
        term_unit = "%" if percent else "text" if info.percent else info.unit
        ws.cell(row=row, column=2, value=term_unit)
        cell = write_text(ws, row, 3, "" if value is None else value)
        if percent:
            cell.number_format = PERCENT
        row += 1
    ws.cell(row=row, column=1, value="Money unit")
    ws.cell(row=row, column=2, value="text")
    write_text(ws, row, 3, unit)
    row += 2
    ws.cell(row=row, column=1, value="Per-SPV terms (the SPV table's own term columns)").font = SUBTITLE_FONT
    write_header(ws, row + 1, ["SPV ID", "Term", "Value", "Comment"])
    row += 2
    own = [(s.id, name, value) for s in result.portfolio.spvs for name, value in s.terms]
    if not own:
        ws.cell(row=row, column=1, value="None: every SPV uses the terms above.").font = NOTE_FONT
        row += 1
    for spv_id, name, value in own:
        write_text(ws, row, 1, spv_id)
        ws.cell(row=row, column=2, value=name)
        cell = write_text(ws, row, 3, value)
        if isinstance(value, float):
            cell.number_format = PERCENT
        row += 1
    sens = result.sensitivity
    if sens is not None:
        row += 1
        ws.cell(row=row, column=1, value="Sensitivity grid").font = SUBTITLE_FONT
        row += 1
        ws.cell(row=row, column=1, value="Deemed rates")
        ws.cell(row=row, column=2, value="%")
        write_text(ws, row, 3, ", ".join(f"{r:.2%}" for r in sens.rates))
        ws.cell(row=row + 1, column=1, value="Scales of distributable cash")
        ws.cell(row=row + 1, column=2, value="x")
        write_text(ws, row + 1, 3, ", ".join(f"{s:g}" for s in sens.scales))
        row += 2
    if result.readings is not None:
        row += 1
        ws.cell(row=row, column=1, value="Readings of the deemed allocation").font = SUBTITLE_FONT
        row += 1
        ws.cell(row=row, column=1, value="Default useful life (scheduled reading)")
        ws.cell(row=row, column=2, value="years")
        ws.cell(row=row, column=3, value=result.readings.default_useful_life).number_format = INTEGER
        write_text(
            ws,
            row,
            4,
            "Used for an SPV whose terms give none (no useful_life in the SPV table or the terms above); "
            f"labelled '{LIFE_FROM_DEFAULT}' on Readings.",
        )
    set_widths(ws, {"A": 44, "B": 8, "C": 22, "D": 90})
    ws.freeze_panes = "A5"
    print_setup(ws, title_rows="4:4")


SPV_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # key, header, unit ("$" = the money unit)
    ("id", "SPV ID", "text"),
    ("name", "Name", "text"),
    ("sector", "Sector", "text"),
    ("notice_date", "Notice date", "date"),
    ("committed", "Committed", "$"),
    ("funded", "Funded by Japan", "$"),
    ("distributed", "Distributed", "$"),
    ("japan_received", "Japan received", "$"),
    ("us_received", "US received", "$"),
    ("partner_received", "Partner received", "$"),
    ("unrecovered", "Unrecovered deemed allocation", "$"),
    ("threshold_date", "Threshold date", "date"),
    ("years_to_threshold", "Years to threshold", "years"),
    ("xirr_japan", "XIRR Japan", "%"),
    ("xirr_us", "XIRR US", "%"),
    ("xirr_project", "XIRR Project", "%"),
    ("multiple", "Multiple Japan", "x"),
    ("deemed_rate", "Deemed rate", "%"),
    ("flags", "Flags", "count"),
)


def _spv_sheet(wb: Workbook, result: PortfolioResult) -> tuple[Columns, int]:
    ws = wb.create_sheet("SPVs")
    table = result.spvs
    n = len(table)
    cols = Columns([k for k, _, _ in SPV_COLUMNS])
    write_title(
        ws,
        "SPVs",
        f"One row per SPV; money in {result.unit}. A blank threshold date: not reached "
        "(the unrecovered amount is Japan's exposure). A blank XIRR: no IRR exists (the US never "
        "funds, so it never has one).",
    )
    units_row(ws, UNITS_ROW, [result.unit if u == "$" else u for _, _, u in SPV_COLUMNS])
    table_header(ws, HEADER_ROW, [h for _, h, _ in SPV_COLUMNS])
    funded, received = cols["funded"], cols["japan_received"]
    data: list[tuple[Any, str | None, str]] = []
    for key, _, unit in SPV_COLUMNS:
        if key == "multiple":
            data.append((f"=IF({funded}{{r}}>0,{received}{{r}}/{funded}{{r}},0)", MULTIPLE, "f"))
        else:
            data.append((table[key], FORMATS[unit], kind_of(unit)))
    fill_rows(ws, FIRST_ROW, data, n)
    last = FIRST_ROW + n - 1
    add_table(ws, "tblSPVs", 1, len(SPV_COLUMNS), HEADER_ROW, last)
    widths = {"A": 14, "B": 40, "C": 22}
    widths.update({get_column_letter(c): 15 for c in range(4, len(SPV_COLUMNS) + 1)})
    set_widths(ws, widths)
    ws.freeze_panes = f"B{FIRST_ROW}"
    print_setup(ws, title_rows=f"{UNITS_ROW}:{HEADER_ROW}")  # its area counts the streamed rows
    return cols, last


YEAR_COLUMNS = (
    ("year", "Year", "year"),
    ("japan_funded", "Japan funded", "$"),
    ("distributed", "Distributed", "$"),
    ("japan_received", "Japan received", "$"),
    ("partner_received", "of which partner", "$"),
    ("us_received", "US received", "$"),
    ("japan_net", "Japan net cash", "$"),
    ("japan_cumulative", "Japan cumulative net cash", "$"),
    ("japan_share", "Japan share of distributed", "%"),
)


def _years_sheet(wb: Workbook, result: PortfolioResult) -> tuple[Columns, int, int]:
    ws = wb.create_sheet("Program by year")
    years = result.years
    n = len(years)
    cols = Columns([k for k, _, _ in YEAR_COLUMNS])
    write_title(
        ws,
        "Program by year",
        f"Cash to each country by calendar year, all SPVs; money in "
        f"{result.unit}. Japan's fundings are shown positive here.",
    )
    units_row(ws, UNITS_ROW, [result.unit if u == "$" else u for _, _, u in YEAR_COLUMNS])
    table_header(ws, HEADER_ROW, [h for _, h, _ in YEAR_COLUMNS])
    fund, rec, dist = cols["japan_funded"], cols["japan_received"], cols["distributed"]
    net = cols["japan_net"]
    data: list[tuple[Any, str | None, str]] = []
    for key, _, unit in YEAR_COLUMNS:
        if key == "japan_net":
            data.append((f"={rec}{{r}}-{fund}{{r}}", MONEY, "f"))
        elif key == "japan_cumulative":
            data.append((f"=SUM(${net}${FIRST_ROW}:{net}{{r}})", MONEY, "f"))
        elif key == "japan_share":
            data.append((f"=IF({dist}{{r}}=0,0,{rec}{{r}}/{dist}{{r}})", PERCENT, "f"))
        else:
            data.append((years[key], FORMATS[unit], kind_of(unit)))
    fill_rows(ws, FIRST_ROW, data, n)
    last = FIRST_ROW + n - 1
    add_table(ws, "tblYears", 1, len(YEAR_COLUMNS), HEADER_ROW, last)
    total = last + 1
    ws.cell(row=total, column=1, value="Total").font = SUBTITLE_FONT
    for key in (
        "japan_funded",
        "distributed",
        "japan_received",
        "partner_received",
        "us_received",
        "japan_net",
    ):
        letter = cols[key]
        cell = ws[f"{letter}{total}"]
        cell.value = f"=SUM({letter}{FIRST_ROW}:{letter}{last})"
        cell.number_format = MONEY
        cell.font = SUBTITLE_FONT
    share = ws[f"{cols['japan_share']}{total}"]
    share.value = f"=IF({dist}{total}=0,0,{rec}{total}/{dist}{total})"
    share.number_format = PERCENT
    set_widths(ws, {get_column_letter(c): 16 for c in range(1, len(YEAR_COLUMNS) + 1)})
    ws.freeze_panes = f"B{FIRST_ROW}"
    print_setup(ws, title_rows=f"{UNITS_ROW}:{HEADER_ROW}")
    return cols, last, total


def _cap_sheet(wb: Workbook, result: PortfolioResult, spv_cols: Columns, spv_last: int) -> dict[str, str]:
    ws = wb.create_sheet("Cap & deadline")
    cap = result.cap
    unit = result.unit
    write_title(
        ws,
        "Cap & deadline",
        f"Commitments against the $550bn cap and fundings against the "
        f"deadline of {FUNDING_DEADLINE:%d %B %Y}; money in {unit}.",
    )
    write_header(ws, HEADER_ROW, ["Item", "Unit", "Value", "Comment"])
    committed = f"SPVs!${spv_cols['committed']}${FIRST_ROW}:${spv_cols['committed']}${spv_last}"
    funded = f"SPVs!${spv_cols['funded']}${FIRST_ROW}:${spv_cols['funded']}${spv_last}"
    items: list[tuple[str, str, Any, str | None, str]] = [
        ("Program cap", unit, f"={CAP_CELL}", MONEY, "From Terms (an input)."),
        ("Commitments selected", unit, f"=SUM({committed})", MONEY, "Sum of the SPVs' committed amounts."),
        ("Cap headroom", unit, "=C6-C7", MONEY, "Cap less commitments; negative: over the cap."),
        ("Cap used", "%", "=IF(C6=0,0,C7/C6)", PERCENT, "Commitments as a share of the cap."),
        (
            CAP_FLAG_LABEL,
            "flag",
            "=C7<=C6",
            None,
            "TRUE: commitments are within the cap. FALSE: over the cap (a Flags row too). A compliance "
            "flag for the committee, not a model check: it stays out of the master check.",
        ),
        ("Funded by Japan", unit, f"=SUM({funded})", MONEY, "Sum of every funding."),
        ("Funding deadline", "date", f"={TERMS_SHEET}!$C$6", DATE, "From Terms."),
        (
            "Funded after the deadline",
            unit,
            cap.funded_after_deadline,
            MONEY,
            "Computed by xlspv; see Flags.",
        ),
        (
            "Fundings after the deadline",
            "count",
            cap.fundings_after_deadline,
            INTEGER,
            "Funding rows; see Flags.",
        ),
        (
            f"Fundings less than {cap.min_notice_days} days after notice",
            "count",
            cap.fundings_short_notice,
            INTEGER,
            "Funding rows; see Flags.",
        ),
        (
            "SPVs noticed too late to fund by the deadline",
            "count",
            cap.late_notices,
            INTEGER,
            f"Notice less than {cap.min_notice_days} days before the deadline; see Flags.",
        ),
    ]
    refs = {}
    for offset, (label, u, value, fmt, comment) in enumerate(items):
        row = FIRST_ROW + offset
        ws.cell(row=row, column=1, value=label)
        write_text(ws, row, 2, u)
        cell = ws.cell(row=row, column=3, value=value)
        cell.number_format = fmt or "General"
        write_text(ws, row, 4, comment)
        refs[label] = f"'Cap & deadline'!$C${row}"
        if label == CAP_FLAG_LABEL:
            assert isinstance(value, str) and value.startswith("=")  # the flag's condition, a formula
            _flag_colours(ws, f"C{row}", value[1:])  # relative to the flag cell, as a rule reads it
    by_year = cap.by_year
    top = FIRST_ROW + len(items) + 2
    ws.cell(row=top, column=1, value="Commitments and fundings by year").font = SUBTITLE_FONT
    keys = (
        "year",
        "spvs_noticed",
        "committed",
        "cumulative",
        "cumulative_share",
        "funded",
        "funded_after_deadline",
    )
    headers = [
        "Year",
        "SPVs noticed",
        "Committed (notice year)",
        "Cumulative committed",
        "Cumulative share of cap",
        "Funded by Japan",
        "Funded after the deadline",
    ]
    units_row(ws, top + 1, ["year", "count", unit, unit, "%", unit, unit])
    table_header(ws, top + 2, headers)
    first = top + 3
    cols = Columns(keys)
    data: list[tuple[Any, str | None, str]] = []
    for key in keys:
        if key == "cumulative":
            data.append((f"=SUM(${cols['committed']}${first}:{cols['committed']}{{r}})", MONEY, "f"))
        elif key == "cumulative_share":
            data.append((f"=IF($C$6=0,0,{cols['cumulative']}{{r}}/$C$6)", PERCENT, "f"))
        else:
            fmt = INTEGER if key in ("year", "spvs_noticed") else MONEY
            data.append((by_year[key], fmt, "n"))
    fill_rows(ws, first, data, len(by_year))
    last = first + len(by_year) - 1
    add_table(ws, "tblCapYears", 1, len(keys), top + 2, last)
    refs["by_year_committed"] = f"'Cap & deadline'!${cols['committed']}${first}:${cols['committed']}${last}"
    refs["by_year_funded"] = f"'Cap & deadline'!${cols['funded']}${first}:${cols['funded']}${last}"
    set_widths(ws, {"A": 46, "B": 14, "C": 22, "D": 60, "E": 18, "F": 18, "G": 22})
    ws.freeze_panes = f"A{FIRST_ROW}"
    print_setup(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
    return refs


def _flag_colours(ws: Worksheet, cell: str, holds: str) -> None:
    """Colour a TRUE/FALSE compliance flag: green while it holds, red when it does not.

    The rules test the flag's own condition ``holds`` (``C7<=C6``), not the flag cell: LibreOffice
    7.4 cannot export to PDF a sheet whose conditional format reads the formatted formula cell itself
    (``C10=TRUE``, ``$C$10=TRUE`` or a cell-value rule alike: "Unspecified Application Error").
    tests/test_pdf.py exports every workbook xlspv writes.
    """
    ws.conditional_formatting.add(cell, FormulaRule(formula=[holds], fill=CHECK_OK_FILL))
    ws.conditional_formatting.add(
        cell, FormulaRule(formula=[f"NOT({holds})"], fill=FLAG_FILL, font=Font(bold=True, color="FF9C0006"))
    )


def _flags_sheet(wb: Workbook, result: PortfolioResult) -> None:
    ws = wb.create_sheet("Flags")
    flags = result.flags
    n = len(flags)
    counts = flags["kind"].value_counts().to_dict() if n else {}
    summary = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "none"
    write_title(
        ws,
        "Flags",
        f"What the committee should see: {n} flags ({summary}). Flags do not stop the "
        f"computation; money in {result.unit}.",
    )
    headers = ["#", "Kind", "SPV ID", "SPV name", "Date", "Amount", "Source", "Reason"]
    units_row(ws, UNITS_ROW, ["count", "text", "text", "text", "date", result.unit, "text", "text"])
    table_header(ws, HEADER_ROW, headers)
    if n == 0:
        ws.cell(
            row=FIRST_ROW,
            column=1,
            value="No flags: every funding is at least 45 days after its notice "
            "and by the deadline, no SPV funds more than it committed, and commitments are within the "
            "cap.",
        ).font = NOTE_FONT
    else:
        data = [
            (np.arange(1, n + 1), INTEGER, "n"),
            (flags["kind"], None, "s"),
            (flags["spv_id"], None, "s"),
            (flags["spv_name"], None, "s"),
            (flags["date"], DATE, "d"),
            (flags["amount"], MONEY, "n"),
            (flags["source"], None, "s"),
            (flags["reason"], None, "s"),
        ]
        fill_rows(ws, FIRST_ROW, data, n)
        add_table(ws, "tblFlags", 1, len(headers), HEADER_ROW, FIRST_ROW + n - 1)
    set_widths(ws, {"A": 6, "B": 12, "C": 14, "D": 40, "E": 12, "F": 14, "G": 24, "H": 110})
    ws.freeze_panes = f"A{FIRST_ROW}"
    print_setup(ws, title_rows=f"{UNITS_ROW}:{HEADER_ROW}")


SECTOR_COLUMNS = (
    ("sector", "Sector", "text"),
    ("named", "Named in the MOU", "flag"),
    ("spvs", "SPVs", "count"),
    ("committed", "Committed", "$"),
    ("funded", "Funded by Japan", "$"),
    ("distributed", "Distributed", "$"),
    ("japan_received", "Japan received", "$"),
    ("us_received", "US received", "$"),
    ("unrecovered", "Unrecovered deemed allocation", "$"),
    ("share", "Share of committed", "%"),
)


def _sectors_sheet(wb: Workbook, result: PortfolioResult) -> tuple[Columns, int]:
    ws = wb.create_sheet("Sectors")
    sectors = result.sectors
    n = len(sectors)
    cols = Columns([k for k, _, _ in SECTOR_COLUMNS])
    write_title(
        ws, "Sectors", f"The program by sector (the MOU's named sectors first); money in {result.unit}."
    )
    units_row(ws, UNITS_ROW, [result.unit if u == "$" else u for _, _, u in SECTOR_COLUMNS])
    table_header(ws, HEADER_ROW, [h for _, h, _ in SECTOR_COLUMNS])
    last = FIRST_ROW + n - 1
    c = cols["committed"]
    data: list[tuple[Any, str | None, str]] = []
    for key, _, unit in SECTOR_COLUMNS:
        if key == "share":
            total = f"SUM(${c}${FIRST_ROW}:${c}${last})"
            data.append((f"=IF({total}=0,0,{c}{{r}}/{total})", PERCENT, "f"))
        elif key == "named":
            data.append((["yes" if v else "no" for v in sectors["named"]], None, "s"))
        else:
            data.append((sectors[key], FORMATS[unit], kind_of(unit)))
    fill_rows(ws, FIRST_ROW, data, n)
    add_table(ws, "tblSectors", 1, len(SECTOR_COLUMNS), HEADER_ROW, last)
    set_widths(ws, {"A": 28, **{get_column_letter(i): 16 for i in range(2, len(SECTOR_COLUMNS) + 1)}})
    ws.freeze_panes = f"B{FIRST_ROW}"
    print_setup(ws, title_rows=f"{UNITS_ROW}:{HEADER_ROW}")
    return cols, last


def _charts_sheet(
    wb: Workbook,
    result: PortfolioResult,
    year_cols: Columns,
    year_last: int,
    sector_cols: Columns,
    sector_last: int,
) -> None:
    ws = wb.create_sheet("Charts")
    write_title(
        ws, "Charts", f"Cash to each country by year, and commitments by sector; money in {result.unit}."
    )
    years = wb["Program by year"]
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = f"Cash to each country by year ({result.unit})"
    for key in ("japan_received", "us_received"):
        col = years[f"{year_cols[key]}1"].column
        chart.add_data(
            Reference(years, min_col=col, min_row=HEADER_ROW, max_row=year_last), titles_from_data=True
        )
    chart.set_categories(Reference(years, min_col=1, min_row=FIRST_ROW, max_row=year_last))
    chart.y_axis.title = shown_text(result.unit)
    chart.x_axis.title = "Year"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width, chart.height = 30, 12
    ws.add_chart(chart, "A5")

    sectors = wb["Sectors"]
    bars = BarChart()
    bars.type = "bar"
    bars.title = f"Committed by sector ({result.unit})"
    col = sectors[f"{sector_cols['committed']}1"].column
    bars.add_data(
        Reference(sectors, min_col=col, min_row=HEADER_ROW, max_row=sector_last), titles_from_data=True
    )
    bars.set_categories(Reference(sectors, min_col=1, min_row=FIRST_ROW, max_row=sector_last))
    bars.legend = None
    bars.x_axis.delete = False
    bars.y_axis.delete = False
    bars.width, bars.height = 30, 10
    ws.add_chart(bars, "A31")
    print_setup(ws, area="A1:T52")


# ---- the report ----------------------------------------------------------------------------------


def _sources(result: PortfolioResult, input_path: Any) -> list[Path]:
    if input_path is None:
        return list(result.portfolio.sources)
    paths = [Path(p) for p in (input_path if isinstance(input_path, (list, tuple)) else [input_path])]
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += [p / name for name in ("spvs.csv", "flows.csv", "terms.csv") if (p / name).is_file()]
        else:
            out.append(p)
    return out


def _describe_inputs(sources: Sequence[Path]) -> tuple[str | None, str | None]:
    if not sources:
        return None, None
    if len(sources) == 1:
        return sources[0].name, sha256_of(sources[0])
    names = " + ".join(p.name for p in sources)
    hashes = "; ".join(f"{p.name}: {sha256_of(p)}" for p in sources)
    return f"{names} (in {sources[0].parent.name or sources[0].parent})", hashes


def _build(result: PortfolioResult) -> tuple[StreamedWorkbook, str]:
    """Every sheet but the Cover (the per-SPV rows streamed at save time); and the master check's cell."""
    wb = StreamedWorkbook()
    wb.remove(wb.active)
    _terms_sheet(wb, result)
    spv_cols, spv_last = _spv_sheet(wb, result)
    year_cols, year_last, year_total = _years_sheet(wb, result)
    cap_refs = _cap_sheet(wb, result, spv_cols, spv_last)
    _flags_sheet(wb, result)
    sector_cols, sector_last = _sectors_sheet(wb, result)
    _charts_sheet(wb, result, year_cols, year_last, sector_cols, sector_last)
    outputs = ["SPVs", "Program by year", "Cap & deadline", "Flags", "Sectors", "Charts"]
    checks = program_checks(
        spv_cols, spv_last, year_cols, year_last, year_total, sector_cols, sector_last, cap_refs
    )
    if result.readings is not None:
        reading_cols, reading_last, program_row = readings_sheet(wb, result)
        outputs.append("Readings")
        checks += readings_checks(reading_cols, reading_last, program_row, spv_cols, spv_last)
    if result.sensitivity is not None:
        sensitivity_sheet(wb, result)
        outputs.append("Sensitivity")
    checks += program_sheet(wb, result)
    outputs.append(PROGRAM_SHEET)
    master = add_checks(wb, checks)
    for sheet in outputs:
        add_master_check_line(wb[sheet], master)
    return wb, master


def write_portfolio_report(
    result: PortfolioResult,
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    input_path: Any = None,
    progress: Progress | None = None,
) -> Path:
    """Write the portfolio report workbook; return its path.

    Parameters
    ----------
    result : PortfolioResult
        From :func:`xlspv.portfolio.analyse` (with its sensitivity, if computed).
    out : path
        The ``.xlsx`` to write. Written to a temporary file and renamed into place, so a failure leaves
        nothing behind.
    force : bool, default False
        Replace an existing ``out``; without it an existing file is an error.
    input_path : path, folder or list of paths, optional
        The input file(s), named and hashed (SHA-256) on the Cover; ``out`` may never be one of them.
        Default: the files the portfolio was read from (none for the built-in example).
    progress : callable, optional
        Called with a one-line message at each stage.

    Raises
    ------
    OutputError
        ``out`` exists without ``force``, is an input, is a folder, or does not end in ``.xlsx``.
    """
    sources = _sources(result, input_path)
    path = check_output(out, force=force, inputs=sources)
    if path.suffix.lower() != ".xlsx":
        raise OutputError(f"{path}: the report is an .xlsx workbook; give a file name ending in .xlsx.")
    # The inputs' SHA-256 (for the Cover) is read while the sheets are built: hashlib lets go of the
    # interpreter while it hashes, so a 10,000-SPV flows.csv (120 MB, 0.2 s) costs no wall time.
    with ThreadPoolExecutor(max_workers=1) as pool:
        described = pool.submit(_describe_inputs, sources)
        wb, master = _build(result)
        name, digest = described.result()
    program = result.program
    add_cover(
        wb,
        title=f"xlspv portfolio report: {result.portfolio.program.title}",
        description=(
            f"{program.spvs:,} SPVs and {program.flow_rows:,} cash-flow rows, money in {result.unit}: each "
            "SPV's waterfall, cash to each country by year, commitments against the cap and the deadline, "
            "flags, sectors"
            + (", both readings of the deemed allocation" if result.readings is not None else "")
            + (
                ", each SPV's probability of recovery within the review period"
                if result.recovery_odds is not None
                else ""
            )
            + " and a deemed-rate sensitivity."
        ),
        terms=result.terms,
        input_name=name,
        input_sha256=digest,
        master_check=master,
    )
    add_program_rules(wb["Cover"], result)
    say(progress, f"built the report ({len(wb.sheetnames)} sheets); saving {path.name}")
    saved = save_workbook(wb, path, force=force)
    say(progress, f"wrote {saved}")
    return saved
