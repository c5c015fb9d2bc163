"""The portfolio report's program sheets: the program's rules on the Cover, the yearly cap checked year
by year and the present values (sheet "Program & values"), a declined-funding scenario if asked.

Values are written as computed by :mod:`xlspv.portfolio`; the yearly-cap excess and the NPV are
formulas over them, and the Checks sheet ties the present values' program row to the SPV rows where
they share one start date, and the yearly cap's excess to its formula.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ..portfolio import PortfolioResult
from ..value import VALUE_FIGURES
from .style import (
    DATE,
    MONEY,
    PERCENT,
    SUBTITLE_FONT,
    print_setup,
    set_widths,
    write_header,
    write_text,
    write_title,
)

SHEET = "Program & values"
VALUE_LABELS = {
    "japan_received": "PV of receipts: the investor",
    "japan_funded": "PV of fundings: the investor",
    "npv_japan": "NPV: the investor",
    "us_received": "PV of the US's receipts",
    "japan_received_no_switch": "PV investor receipts, 50/50 for ever",
    "us_received_no_switch": "PV US receipts, 50/50 for ever",
    "switch_value_japan": "90/10 switch: value moved from the investor",
    "switch_value_us": "90/10 switch: value moved to the US",
}


def add_program_rules(cover: Worksheet, result: PortfolioResult) -> None:
    """The program's rules, below the Cover's other blocks."""
    row = cover.max_row + 2
    cover.cell(row=row, column=1, value="Program rules checked").font = SUBTITLE_FONT
    for label, text in result.portfolio.program.rules():
        row += 1
        write_text(cover, row, 1, label)
        write_text(cover, row, 2, text)


def program_sheet(wb: Workbook, result: PortfolioResult) -> list[tuple[str, str]]:
    """Write the sheet; return its checks (label, formula) for the Checks sheet."""
    ws = wb.create_sheet(SHEET)
    program = result.portfolio.program
    unit = result.unit
    write_title(ws, f"{program.name}: the yearly cap and what the position is worth", program.title)
    checks: list[tuple[str, str]] = []
    row = 4
    by_year = result.cap.by_year
    if result.cap.annual_cap is not None:
        ws.cell(row=row, column=1, value=f"Yearly cap, checked year by year ({unit})").font = SUBTITLE_FONT
        row += 1
        write_header(ws, row, ["Year", "Funded", "Yearly cap", "Over the cap", "Within the cap"])
        first = row + 1
        for i, rec in enumerate(by_year.itertuples(index=False)):
            r = first + i
            ws.cell(row=r, column=1, value=int(rec.year))
            ws.cell(row=r, column=2, value=float(rec.funded)).number_format = MONEY
            ws.cell(row=r, column=3, value=float(rec.annual_cap)).number_format = MONEY
            ws.cell(row=r, column=4, value=f"=MAX(B{r}-C{r},0)").number_format = MONEY
            ws.cell(row=r, column=5, value=f'=IF(D{r}>1E-9*C{r},"over","yes")')
        last = first + len(by_year) - 1
        over = float(by_year["over_annual_cap"].sum())
        checks.append(
            (
                f"{SHEET}: yearly excess = the program view's ({over:,.1f} {unit})",
                f"=ABS(SUM('{SHEET}'!D{first}:D{last})-{over!r})<=1E-6*MAX(1,{abs(over)!r})",
            )
        )
        row = last + 2
    if program.outside_waterfall_usd_m:
        write_text(ws, row, 1, "Outside the waterfall")
        write_text(
            ws,
            row,
            2,
            f"${program.outside_waterfall_usd_m / 1000:,.0f} billion "
            f"{program.outside_waterfall_label}: shown, not split.",
        )
        row += 2
    if result.values is not None:
        row = _values_block(ws, result, row, checks)
    if result.declined is not None:
        row = _declined_block(ws, result, row)
    set_widths(ws, {"A": 22, **{chr(66 + k): 18 for k in range(12)}})
    print_setup(ws)
    return checks


def _values_block(ws: Worksheet, result: PortfolioResult, row: int, checks: list[tuple[str, str]]) -> int:
    values = result.values
    ws.cell(
        row=row,
        column=1,
        value=(
            f"Present values at {values.discount_rate:.4%} a year ({values.rate_from}), each SPV at its "
            f"first funding, the program at its first ({result.unit})"
        ),
    ).font = SUBTITLE_FONT
    row += 1
    write_header(ws, row, ["SPV ID", "Discounted to", *(VALUE_LABELS[n] for n in VALUE_FIGURES)])
    first = row + 1
    npv_col = 2 + VALUE_FIGURES.index("npv_japan") + 1
    for i, rec in enumerate(values.spvs.to_dict("records")):
        r = first + i
        _values_row(ws, r, rec["id"], rec)
    last = first + len(values.spvs) - 1
    prog = last + 1
    _values_row(ws, prog, "PROGRAM", values.program)
    for r in range(first, prog + 1):  # the NPV as the formula it is
        ws.cell(row=r, column=npv_col, value=f"=C{r}-D{r}").number_format = MONEY
    checks.append(
        (
            f"{SHEET}: the switch moves as much from the investor as to the US (program)",
            f"=ABS('{SHEET}'!I{prog}-'{SHEET}'!J{prog})<=1E-6*MAX(1,ABS('{SHEET}'!I{prog}))",
        )
    )
    return prog + 2


def _values_row(ws: Worksheet, r: int, label: str, rec: dict[str, Any]) -> None:
    write_text(ws, r, 1, label)
    ws.cell(row=r, column=2, value=rec["start"]).number_format = DATE
    for k, name in enumerate(VALUE_FIGURES):
        ws.cell(row=r, column=3 + k, value=float(rec[name])).number_format = MONEY


def _declined_block(ws: Worksheet, result: PortfolioResult, row: int) -> int:
    d = result.declined
    ws.cell(
        row=row,
        column=1,
        value=(
            f"Declined funding: SPV {d.spv_id}, {d.declined_amount:,.1f} {result.unit} on {d.declined_date}; "
            f"redirected {d.redirected:,.1f}, covered "
            f"{d.covered_date if d.covered_date else 'not by the schedule end'}"
        ),
    ).font = SUBTITLE_FONT
    row += 1
    columns = [
        "japan_funded",
        "japan_received",
        "us_received",
        "redirected",
        "threshold_date",
        "unrecovered",
        "xirr_japan",
    ]
    write_header(ws, row, ["Case", *columns])
    for case, rec in d.table.iterrows():
        row += 1
        write_text(ws, row, 1, str(case))
        for k, name in enumerate(columns):
            value = rec[name]
            cell = ws.cell(row=row, column=2 + k, value=value if value is not None else "n/a")
            cell.number_format = (
                DATE if name == "threshold_date" else PERCENT if name == "xirr_japan" else MONEY
            )
    return row + 2


def add_values_block(ws: Worksheet, waterfall: Any, row: int, unit: str) -> int:
    """The one-SPV report's present values (Summary sheet), from ``row`` down; returns the last row."""
    from ..value import present_values

    pv = present_values(waterfall)
    ws.cell(
        row=row,
        column=1,
        value=(
            f"Present values at the deemed rate, {pv.discount_rate:.4%} a year, at the first funding "
            f"({pv.start})"
        ),
    ).font = SUBTITLE_FONT
    row += 1
    write_header(ws, row, ["Item", "Unit", "Value"])
    for name in VALUE_FIGURES:
        row += 1
        write_text(
            ws, row, 1, VALUE_LABELS[name].replace("the investor", "Japan").replace("investor", "Japan")
        )
        write_text(ws, row, 2, unit)  # user text: the unit is never a formula
        ws.cell(row=row, column=3, value=float(getattr(pv, name))).number_format = MONEY
    return row


__all__ = ["SHEET", "add_program_rules", "add_values_block", "program_sheet"]
