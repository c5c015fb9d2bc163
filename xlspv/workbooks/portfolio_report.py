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
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ..portfolio import (
    FUNDING_DEADLINE,
    LIFE_FROM_DEFAULT,
    MIN_NOTICE_DAYS,
    PROGRAM_CAP_USD_M,
    READING_FIGURES,
    PortfolioResult,
)
from .cover import add_checks, add_cover, add_master_check_line
from .files import OutputError, check_output, save_workbook, sha256_of
from .style import (
    CHECK_OK_FILL,
    DATE,
    INTEGER,
    MONEY,
    MULTIPLE,
    NOTE_FONT,
    PERCENT,
    SUBTITLE_FONT,
    YEARS,
    print_setup,
    set_widths,
    style_input,
    write_header,
    write_text,
    write_title,
)

UNITS_ROW, HEADER_ROW, FIRST_ROW = 4, 5, 6
TERMS_SHEET = "Terms"
CAP_CELL = f"{TERMS_SHEET}!$C$5"
TOLERANCE_CELL = f"{TERMS_SHEET}!$C$8"
#: Largest difference (in the money unit) the checks accept between two totals summed in different orders.
CHECK_TOLERANCE = 0.001
TABLE_STYLE = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
#: The Cap & deadline row that says whether commitments are within the cap: a compliance flag the
#: committee sees (green TRUE, red FALSE), kept out of the Checks, which hold the model's integrity
#: checks (ties and sums) only; being over the cap is a flag, not a broken model (issue 5).
CAP_FLAG_LABEL = "Within the $550bn cap (compliance flag)"
FLAG_FILL = PatternFill("solid", start_color="FFFFC7CE", end_color="FFFFC7CE")

Progress = Callable[[str], None]


class _Columns:
    """Column letters by key for a sheet laid out from a column spec."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.letter = {key: get_column_letter(i + 1) for i, key in enumerate(keys)}

    def __getitem__(self, key: str) -> str:
        return self.letter[key]


def _clean(value: Any) -> Any:
    """A value openpyxl can write: NaN and NaT become blank, numpy scalars Python ones."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _table(ws: Worksheet, name: str, first_col: int, last_col: int, header_row: int, last_row: int) -> None:
    if last_row <= header_row:
        return
    ref = f"{get_column_letter(first_col)}{header_row}:{get_column_letter(last_col)}{last_row}"
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TABLE_STYLE
    ws.add_table(table)


def _table_header(ws: Worksheet, row: int, labels: Sequence[Any]) -> None:
    """A table's header row, tall enough for three wrapped lines."""
    write_header(ws, row, list(labels))
    ws.row_dimensions[row].height = 45


def _units(ws: Worksheet, row: int, units: Sequence[str], col: int = 1) -> None:
    for offset, unit in enumerate(units):
        cell = ws.cell(row=row, column=col + offset, value=unit)
        cell.font = NOTE_FONT
        cell.alignment = Alignment(horizontal="center")


def _rows(ws: Worksheet, first_row: int, columns: Sequence[tuple[Any, str | None]], n: int) -> None:
    """Write ``n`` rows column by column: each column is (values or formula template, number format).

    A formula template is a string containing ``{r}`` (the row number): one formula copied down.
    """
    for c, (values, fmt) in enumerate(columns, start=1):
        template = values if isinstance(values, str) else None
        for i in range(n):
            row = first_row + i
            if template is not None:
                cell = ws.cell(row=row, column=c, value=template.format(r=row))
            else:
                value = _clean(values[i])
                cell = write_text(ws, row, c, value) if isinstance(value, str) else ws.cell(row, c, value)
            if fmt:
                cell.number_format = fmt


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
        ws.cell(row=row, column=2, value=u)
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
        is_rate = name in ("deemed_rate",) and isinstance(value, float)
        is_share = name.endswith("share") or name.startswith("japan_share")
        term_unit = "%" if (is_rate or is_share) else "years" if name == "useful_life" else "text"
        ws.cell(row=row, column=2, value=term_unit)
        cell = write_text(ws, row, 3, "" if value is None else value)
        if is_rate or is_share:
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
_FORMATS = {
    "$": MONEY,
    "date": DATE,
    "years": YEARS,
    "%": PERCENT,
    "x": MULTIPLE,
    "count": INTEGER,
    "year": INTEGER,
    "text": None,
    "flag": None,
}


def _spv_sheet(wb: Workbook, result: PortfolioResult) -> tuple[_Columns, int]:
    ws = wb.create_sheet("SPVs")
    table = result.spvs
    n = len(table)
    cols = _Columns([k for k, _, _ in SPV_COLUMNS])
    write_title(
        ws,
        "SPVs",
        f"One row per SPV; money in {result.unit}. A blank threshold date: not reached "
        "(the unrecovered amount is Japan's exposure). A blank XIRR: no IRR exists (the US never "
        "funds, so it never has one).",
    )
    _units(ws, UNITS_ROW, [result.unit if u == "$" else u for _, _, u in SPV_COLUMNS])
    _table_header(ws, HEADER_ROW, [h for _, h, _ in SPV_COLUMNS])
    funded, received = cols["funded"], cols["japan_received"]
    data = []
    for key, _, unit in SPV_COLUMNS:
        if key == "multiple":
            data.append((f"=IF({funded}{{r}}>0,{received}{{r}}/{funded}{{r}},0)", MULTIPLE))
        else:
            data.append((table[key].tolist(), _FORMATS[unit]))
    _rows(ws, FIRST_ROW, data, n)
    last = FIRST_ROW + n - 1
    _table(ws, "tblSPVs", 1, len(SPV_COLUMNS), HEADER_ROW, last)
    widths = {"A": 14, "B": 40, "C": 22}
    widths.update({get_column_letter(c): 15 for c in range(4, len(SPV_COLUMNS) + 1)})
    set_widths(ws, widths)
    ws.freeze_panes = f"B{FIRST_ROW}"
    print_setup(ws, title_rows=f"{UNITS_ROW}:{HEADER_ROW}")
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


def _years_sheet(wb: Workbook, result: PortfolioResult) -> tuple[_Columns, int, int]:
    ws = wb.create_sheet("Program by year")
    years = result.years
    n = len(years)
    cols = _Columns([k for k, _, _ in YEAR_COLUMNS])
    write_title(
        ws,
        "Program by year",
        f"Cash to each country by calendar year, all SPVs; money in "
        f"{result.unit}. Japan's fundings are shown positive here.",
    )
    _units(ws, UNITS_ROW, [result.unit if u == "$" else u for _, _, u in YEAR_COLUMNS])
    _table_header(ws, HEADER_ROW, [h for _, h, _ in YEAR_COLUMNS])
    fund, rec, dist = cols["japan_funded"], cols["japan_received"], cols["distributed"]
    net = cols["japan_net"]
    data = []
    for key, _, unit in YEAR_COLUMNS:
        if key == "japan_net":
            data.append((f"={rec}{{r}}-{fund}{{r}}", MONEY))
        elif key == "japan_cumulative":
            data.append((f"=SUM(${net}${FIRST_ROW}:{net}{{r}})", MONEY))
        elif key == "japan_share":
            data.append((f"=IF({dist}{{r}}=0,0,{rec}{{r}}/{dist}{{r}})", PERCENT))
        else:
            data.append((years[key].tolist(), _FORMATS[unit]))
    _rows(ws, FIRST_ROW, data, n)
    last = FIRST_ROW + n - 1
    _table(ws, "tblYears", 1, len(YEAR_COLUMNS), HEADER_ROW, last)
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


def _cap_sheet(wb: Workbook, result: PortfolioResult, spv_cols: _Columns, spv_last: int) -> dict[str, str]:
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
        ws.cell(row=row, column=2, value=u)
        cell = ws.cell(row=row, column=3, value=value)
        cell.number_format = fmt or "General"
        write_text(ws, row, 4, comment)
        refs[label] = f"'Cap & deadline'!$C${row}"
        if label == CAP_FLAG_LABEL:
            _flag_colours(ws, f"C{row}")
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
    _units(ws, top + 1, ["year", "count", unit, unit, "%", unit, unit])
    _table_header(ws, top + 2, headers)
    first = top + 3
    cols = _Columns(keys)
    data = []
    for key in keys:
        if key == "cumulative":
            data.append((f"=SUM(${cols['committed']}${first}:{cols['committed']}{{r}})", MONEY))
        elif key == "cumulative_share":
            data.append((f"=IF($C$6=0,0,{cols['cumulative']}{{r}}/$C$6)", PERCENT))
        else:
            fmt = INTEGER if key in ("year", "spvs_noticed") else MONEY
            data.append((by_year[key].tolist(), fmt))
    _rows(ws, first, data, len(by_year))
    last = first + len(by_year) - 1
    _table(ws, "tblCapYears", 1, len(keys), top + 2, last)
    refs["by_year_committed"] = f"'Cap & deadline'!${cols['committed']}${first}:${cols['committed']}${last}"
    refs["by_year_funded"] = f"'Cap & deadline'!${cols['funded']}${first}:${cols['funded']}${last}"
    set_widths(ws, {"A": 46, "B": 14, "C": 22, "D": 60, "E": 18, "F": 18, "G": 22})
    ws.freeze_panes = f"A{FIRST_ROW}"
    print_setup(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
    return refs


def _flag_colours(ws: Worksheet, cell: str) -> None:
    """Colour a TRUE/FALSE compliance flag: green while it holds, red when it does not."""
    ws.conditional_formatting.add(cell, FormulaRule(formula=[f"{cell}=TRUE"], fill=CHECK_OK_FILL))
    ws.conditional_formatting.add(
        cell, FormulaRule(formula=[f"{cell}=FALSE"], fill=FLAG_FILL, font=Font(bold=True, color="FF9C0006"))
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
    _units(ws, UNITS_ROW, ["count", "text", "text", "text", "date", result.unit, "text", "text"])
    _table_header(ws, HEADER_ROW, headers)
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
            (list(range(1, n + 1)), INTEGER),
            (flags["kind"].tolist(), None),
            (flags["spv_id"].tolist(), None),
            (flags["spv_name"].tolist(), None),
            (flags["date"].tolist(), DATE),
            (flags["amount"].tolist(), MONEY),
            (flags["source"].tolist(), None),
            (flags["reason"].tolist(), None),
        ]
        _rows(ws, FIRST_ROW, data, n)
        _table(ws, "tblFlags", 1, len(headers), HEADER_ROW, FIRST_ROW + n - 1)
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


def _sectors_sheet(wb: Workbook, result: PortfolioResult) -> tuple[_Columns, int]:
    ws = wb.create_sheet("Sectors")
    sectors = result.sectors
    n = len(sectors)
    cols = _Columns([k for k, _, _ in SECTOR_COLUMNS])
    write_title(
        ws, "Sectors", f"The program by sector (the MOU's named sectors first); money in {result.unit}."
    )
    _units(ws, UNITS_ROW, [result.unit if u == "$" else u for _, _, u in SECTOR_COLUMNS])
    _table_header(ws, HEADER_ROW, [h for _, h, _ in SECTOR_COLUMNS])
    last = FIRST_ROW + n - 1
    c = cols["committed"]
    data = []
    for key, _, unit in SECTOR_COLUMNS:
        if key == "share":
            total = f"SUM(${c}${FIRST_ROW}:${c}${last})"
            data.append((f"=IF({total}=0,0,{c}{{r}}/{total})", PERCENT))
        elif key == "named":
            data.append((["yes" if v else "no" for v in sectors["named"]], None))
        else:
            data.append((sectors[key].tolist(), _FORMATS[unit]))
    _rows(ws, FIRST_ROW, data, n)
    _table(ws, "tblSectors", 1, len(SECTOR_COLUMNS), HEADER_ROW, last)
    set_widths(ws, {"A": 28, **{get_column_letter(i): 16 for i in range(2, len(SECTOR_COLUMNS) + 1)}})
    ws.freeze_panes = f"B{FIRST_ROW}"
    print_setup(ws, title_rows=f"{UNITS_ROW}:{HEADER_ROW}")
    return cols, last


def _charts_sheet(
    wb: Workbook,
    result: PortfolioResult,
    year_cols: _Columns,
    year_last: int,
    sector_cols: _Columns,
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
    chart.y_axis.title = result.unit
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


READING_LABELS = {
    "threshold_date": ("threshold date", "date"),
    "xirr_japan": ("XIRR Japan", "%"),
    "japan_received": ("Japan received", "$"),
    "us_received": ("US received", "$"),
    "unrecovered": ("unrecovered deemed allocation", "$"),
}
READING_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # key, header, unit ("$" = the money unit); the same figures as the one-SPV report's Readings
    ("id", "SPV ID", "text"),
    ("name", "Name", "text"),
    ("useful_life", "Useful life (scheduled reading)", "years"),
    ("useful_life_from", "Useful life from", "text"),
    *(
        (f"{basis}_{key}", f"{title}: {label}", unit)
        for basis, title in (("cumulative", "Cumulative (default)"), ("scheduled", "Scheduled"))
        for key, (label, unit) in READING_LABELS.items()
    ),
    ("delta_japan_received", "Scheduled less cumulative: Japan received", "$"),
    ("delta_xirr_japan", "Scheduled less cumulative: XIRR Japan", "%"),
    ("note", "Note", "text"),
)


def _readings_sheet(wb: Workbook, result: PortfolioResult) -> tuple[_Columns, int, int]:
    """Both readings side by side, a row per SPV and a Program row; returns columns, last row, program row."""
    readings = result.readings
    assert readings is not None
    ws = wb.create_sheet("Readings")
    table = readings.spvs
    n = len(table)
    cols = _Columns([k for k, _, _ in READING_COLUMNS])
    write_title(
        ws,
        "Readings",
        "Readings: the same flows under both readings of the deemed allocation, per SPV and for the "
        "program. Cumulative (default): one running balance of principal plus deemed interest, as on "
        "every other sheet. Scheduled: each year, deemed interest plus principal / useful life plus any "
        f"carried shortfall (the second reading). Money in {result.unit}. A blank threshold date: not "
        "reached; a blank XIRR: no IRR.",
    )
    _units(
        ws,
        UNITS_ROW,
        [
            result.unit if u == "$" else ("% points" if k == "delta_xirr_japan" else u)
            for k, _, u in READING_COLUMNS
        ],
    )
    _table_header(ws, HEADER_ROW, [h for _, h, _ in READING_COLUMNS])
    ws.row_dimensions[HEADER_ROW].height = 60
    data: list[tuple[Any, str | None]] = []
    for key, _, unit in READING_COLUMNS:
        fmt = INTEGER if key == "useful_life" else _FORMATS[unit]
        formula = _reading_formula(cols, key)
        if formula is not None:
            data.append((formula, fmt))
        else:  # an empty note is a blank cell
            data.append(([v or None for v in table[key]] if key == "note" else table[key].tolist(), fmt))
    _rows(ws, FIRST_ROW, data, n)
    last = FIRST_ROW + n - 1
    _table(ws, "tblReadings", 1, len(READING_COLUMNS), HEADER_ROW, last)

    program_row = last + 1
    program = readings.program
    incomplete = int((table["note"] != "").sum())
    ws.cell(row=program_row, column=1, value="Program").font = SUBTITLE_FONT
    write_text(ws, program_row, 2, f"All {n:,} SPVs").font = SUBTITLE_FONT
    for basis in ("cumulative", "scheduled"):
        for key in READING_FIGURES:
            letter = cols[f"{basis}_{key}"]
            cell = ws[f"{letter}{program_row}"]
            cell.value = _clean(program.loc[basis, key])
            cell.number_format = _FORMATS[READING_LABELS[key][1]]
            cell.font = SUBTITLE_FONT
    for key in ("delta_japan_received", "delta_xirr_japan"):
        cell = ws[f"{cols[key]}{program_row}"]
        cell.value = (_reading_formula(cols, key) or "").format(r=program_row)
        cell.number_format = MONEY if key == "delta_japan_received" else PERCENT
        cell.font = SUBTITLE_FONT
    if incomplete:
        write_text(
            ws, program_row, len(READING_COLUMNS), f"Scheduled: {incomplete} SPV(s) not computed (see notes)"
        )
    notes = [
        "Program: threshold date = the date every SPV is past its threshold (blank while any is not); "
        "XIRR over Japan's flows summed over every SPV by date; money summed over the SPVs.",
        "Useful life: the SPV table's useful_life column, else the terms' (Terms sheet), else "
        f"{readings.default_useful_life} years ('{LIFE_FROM_DEFAULT}'). The cumulative reading ignores it.",
        "Threshold, scheduled reading: the row that pays off the last amount ever due; unrecovered: what is "
        "still due in the last row's year plus the installments of later years.",
    ]
    for offset, text in enumerate(notes):
        write_text(ws, program_row + 2 + offset, 1, text).font = NOTE_FONT
    widths = {"A": 14, "B": 40, "C": 12, "D": 26}
    widths.update({get_column_letter(c): 15 for c in range(5, len(READING_COLUMNS))})
    widths[get_column_letter(len(READING_COLUMNS))] = 60
    set_widths(ws, widths)
    ws.freeze_panes = f"C{FIRST_ROW}"
    print_setup(
        ws,
        title_rows=f"{UNITS_ROW}:{HEADER_ROW}",
        area=f"A1:{get_column_letter(len(READING_COLUMNS))}{program_row + 1 + len(notes)}",
    )
    return cols, last, program_row


def _reading_formula(cols: _Columns, key: str) -> str | None:
    """The native formula of a derived Readings column (``{r}`` = the row), or None for a value column."""
    if key in ("delta_japan_received", "delta_xirr_japan"):
        figure = key.removeprefix("delta_")
        cum, sched = cols[f"cumulative_{figure}"], cols[f"scheduled_{figure}"]
        return f'=IF(OR({cum}{{r}}="",{sched}{{r}}=""),"",{sched}{{r}}-{cum}{{r}})'
    return None


def _sensitivity_sheet(wb: Workbook, result: PortfolioResult) -> None:
    sens = result.sensitivity
    assert sens is not None
    ws = wb.create_sheet("Sensitivity")
    write_title(
        ws,
        "Sensitivity",
        "Japan's XIRR and the threshold year over a grid of deemed rates (each rate "
        "replaces every SPV's deemed rate) and of scales of distributable cash (fundings unscaled). "
        "Blank: no IRR, or the threshold is not reached.",
    )
    spvs = result.spvs
    n, n_r = len(spvs), sens.rates.size
    last_col = get_column_letter(2 + n_r)
    row = 5
    for s, scale in enumerate(sens.scales.tolist()):
        ws.cell(row=row, column=1, value=f"Distributable cash x {scale:.0%}").font = SUBTITLE_FONT
        row += 1
        _rate_header(ws, row, "Program", "Unit", sens.rates)
        program_rows = [
            ("Japan's XIRR (all SPVs' flows)", "%", sens.program_xirr_japan[s], PERCENT),
            ("Year every SPV is past its threshold", "year", sens.program_threshold_year[s], INTEGER),
            ("Japan received", result.unit, sens.program_japan_received[s], MONEY),
            ("SPVs past their threshold", "count", sens.program_reached[s], INTEGER),
        ]
        for label, unit, values, fmt in program_rows:
            row += 1
            ws.cell(row=row, column=1, value=label)
            ws.cell(row=row, column=2, value=unit)
            for j, v in enumerate(values.tolist()):
                ws.cell(row=row, column=3 + j, value=_clean(v)).number_format = fmt
        ws.conditional_formatting.add(f"C{row - 3}:{last_col}{row - 3}", _heat(high_is_good=True))
        row += 2
        for title, values, fmt, good in (
            ("Japan's XIRR by SPV", sens.xirr_japan[:, s, :], PERCENT, True),
            ("Threshold year by SPV", sens.threshold_year[:, s, :], INTEGER, False),
        ):
            ws.cell(row=row, column=1, value=f"{title} (cash x {scale:.0%})").font = SUBTITLE_FONT
            row += 1
            _rate_header(ws, row, "SPV ID", "Name", sens.rates)
            first = row + 1
            columns: list[tuple[Any, str | None]] = [
                (spvs["id"].tolist(), None),
                (spvs["name"].tolist(), None),
            ]
            columns += [(values[:, j].tolist(), fmt) for j in range(n_r)]
            _rows(ws, first, columns, n)
            ws.conditional_formatting.add(f"C{first}:{last_col}{first + n - 1}", _heat(high_is_good=good))
            row = first + n + 1
    set_widths(ws, {"A": 40, "B": 40, **{get_column_letter(3 + j): 12 for j in range(n_r)}})
    ws.freeze_panes = "C5"
    print_setup(ws)


def _rate_header(ws: Worksheet, row: int, first: str, second: str, rates: Any) -> None:
    write_header(ws, row, [first, second, *[float(r) for r in rates]])
    for j in range(rates.size):
        ws.cell(row=row, column=3 + j).number_format = PERCENT


def _heat(*, high_is_good: bool) -> ColorScaleRule:
    red, yellow, green = "FFF8696B", "FFFFEB84", "FF63BE7B"
    low, high = (red, green) if high_is_good else (green, red)
    return ColorScaleRule(
        start_type="min",
        start_color=low,
        mid_type="percentile",
        mid_value=50,
        mid_color=yellow,
        end_type="max",
        end_color=high,
    )


def _checks(
    spv_cols: _Columns,
    spv_last: int,
    year_cols: _Columns,
    year_last: int,
    year_total: int,
    sector_cols: _Columns,
    sector_last: int,
    cap_refs: dict[str, str],
) -> list[tuple[str, str]]:
    tol = TOLERANCE_CELL

    def spv(key: str) -> str:
        c = spv_cols[key]
        return f"SPVs!${c}${FIRST_ROW}:${c}${spv_last}"

    def year(key: str) -> str:
        c = year_cols[key]
        return f"'Program by year'!${c}${FIRST_ROW}:${c}${year_last}"

    def year_total_cell(key: str) -> str:
        return f"'Program by year'!${year_cols[key]}${year_total}"

    def sector(key: str) -> str:
        c = sector_cols[key]
        return f"Sectors!${c}${FIRST_ROW}:${c}${sector_last}"

    def tie(a: str, b: str) -> str:
        return f"=ABS({a}-{b})<={tol}"

    return [
        (
            "Japan's fundings: the SPVs' total equals the program-by-year total",
            tie(f"SUM({spv('funded')})", year_total_cell("japan_funded")),
        ),
        (
            "Cash distributed: the SPVs' total equals the program-by-year total",
            tie(f"SUM({spv('distributed')})", year_total_cell("distributed")),
        ),
        (
            "Japan's receipts: the SPVs' total equals the program-by-year total",
            tie(f"SUM({spv('japan_received')})", year_total_cell("japan_received")),
        ),
        (
            "US receipts: the SPVs' total equals the program-by-year total",
            tie(f"SUM({spv('us_received')})", year_total_cell("us_received")),
        ),
        (
            "Partner receipts: the SPVs' total equals the program-by-year total",
            tie(f"SUM({spv('partner_received')})", year_total_cell("partner_received")),
        ),
        (
            "Every SPV: Japan's and the US's receipts add up to the cash distributed",
            f"=SUMPRODUCT(ABS({spv('japan_received')}+{spv('us_received')}-{spv('distributed')}))<={tol}",
        ),
        (
            "Every year: Japan's and the US's receipts add up to the cash distributed",
            f"=SUMPRODUCT(ABS({year('japan_received')}+{year('us_received')}-{year('distributed')}))<={tol}",
        ),
        (
            "Sectors: commitments tie to the SPVs",
            tie(f"SUM({sector('committed')})", f"SUM({spv('committed')})"),
        ),
        (
            "Sectors: Japan's receipts tie to the SPVs",
            tie(f"SUM({sector('japan_received')})", f"SUM({spv('japan_received')})"),
        ),
        (
            "Sectors: the unrecovered deemed allocation ties to the SPVs",
            tie(f"SUM({sector('unrecovered')})", f"SUM({spv('unrecovered')})"),
        ),
        (
            "Cap & deadline: commitments by notice year tie to the SPVs",
            tie(f"SUM({cap_refs['by_year_committed']})", f"SUM({spv('committed')})"),
        ),
        (
            "Cap & deadline: fundings by year tie to the SPVs",
            tie(f"SUM({cap_refs['by_year_funded']})", f"SUM({spv('funded')})"),
        ),
        ("No SPV has a negative unrecovered deemed allocation", f'=COUNTIF({spv("unrecovered")},"<0")=0'),
        (
            "SPVs past their threshold have nothing unrecovered",
            f'=SUMPRODUCT(({spv("threshold_date")}<>"")*({spv("unrecovered")}>{tol}))=0',
        ),
    ]


def _readings_checks(
    cols: _Columns, last: int, program_row: int, spv_cols: _Columns, spv_last: int
) -> list[tuple[str, str]]:
    """Native checks of the Readings sheet: it ties to the SPVs sheet, conserves cash, and sums."""
    tol = TOLERANCE_CELL

    def rd(key: str) -> str:
        c = cols[key]
        return f"Readings!${c}${FIRST_ROW}:${c}${last}"

    def spv(key: str) -> str:
        c = spv_cols[key]
        return f"SPVs!${c}${FIRST_ROW}:${c}${spv_last}"

    computed = f'({rd("note")}="")'  # an SPV whose scheduled reading has a note has no figures to check
    sums = "+".join(
        f"ABS(Readings!${cols[f'{basis}_{key}']}${program_row}-SUM({rd(f'{basis}_{key}')}))"
        for basis in ("cumulative", "scheduled")
        for key in ("japan_received", "us_received", "unrecovered")
    )
    return [
        (
            "Readings: the cumulative reading equals the SPVs sheet (Japan's receipts and the unrecovered "
            "deemed allocation, every SPV)",
            f"=SUMPRODUCT(ABS({rd('cumulative_japan_received')}-{spv('japan_received')}))"
            f"+SUMPRODUCT(ABS({rd('cumulative_unrecovered')}-{spv('unrecovered')}))<={tol}",
        ),
        (
            "Readings: under each reading, Japan's and the US's receipts add up to the cash distributed "
            "(SPVs sheet), every SPV",
            f"=SUMPRODUCT(ABS({rd('cumulative_japan_received')}+{rd('cumulative_us_received')}"
            f"-{spv('distributed')}))+SUMPRODUCT({computed}*ABS({rd('scheduled_japan_received')}"
            f"+{rd('scheduled_us_received')}-{spv('distributed')}))<={tol}",
        ),
        (
            "Readings: the Program row equals the sum of the SPV rows (Japan's and the US's receipts, "
            "unrecovered; both readings)",
            f"={sums}<={tol}",
        ),
        (
            "Readings: SPVs past their scheduled threshold have nothing unrecovered",
            f'=SUMPRODUCT(({rd("scheduled_threshold_date")}<>"")*({rd("scheduled_unrecovered")}>{tol}))=0',
        ),
    ]


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
    wb = Workbook()
    wb.remove(wb.active)
    _terms_sheet(wb, result)
    spv_cols, spv_last = _spv_sheet(wb, result)
    year_cols, year_last, year_total = _years_sheet(wb, result)
    cap_refs = _cap_sheet(wb, result, spv_cols, spv_last)
    _flags_sheet(wb, result)
    sector_cols, sector_last = _sectors_sheet(wb, result)
    _charts_sheet(wb, result, year_cols, year_last, sector_cols, sector_last)
    outputs = ["SPVs", "Program by year", "Cap & deadline", "Flags", "Sectors", "Charts"]
    checks = _checks(spv_cols, spv_last, year_cols, year_last, year_total, sector_cols, sector_last, cap_refs)
    if result.readings is not None:
        reading_cols, reading_last, program_row = _readings_sheet(wb, result)
        outputs.append("Readings")
        checks += _readings_checks(reading_cols, reading_last, program_row, spv_cols, spv_last)
    if result.sensitivity is not None:
        _sensitivity_sheet(wb, result)
        outputs.append("Sensitivity")
    master = add_checks(wb, checks)
    for name in outputs:
        add_master_check_line(wb[name], master)
    name, digest = _describe_inputs(sources)
    program = result.program
    add_cover(
        wb,
        title="xlspv portfolio report: the US-Japan $550 billion program",
        description=(
            f"{program.spvs:,} SPVs and {program.flow_rows:,} cash-flow rows, money in {result.unit}: each "
            "SPV's waterfall, cash to each country by year, commitments against the cap and the deadline, "
            "flags, sectors"
            + (", both readings of the deemed allocation" if result.readings is not None else "")
            + " and a deemed-rate sensitivity."
        ),
        terms=result.terms,
        input_name=name,
        input_sha256=digest,
        master_check=master,
    )
    if progress is not None:
        progress(f"built the report ({len(wb.sheetnames)} sheets); saving {path.name}")
    saved = save_workbook(wb, path, force=force)
    if progress is not None:
        progress(f"wrote {saved}")
    return saved
