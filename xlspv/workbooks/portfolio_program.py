"""The portfolio report's program sheets: the program's rules on the Cover, the yearly cap checked year
by year, the recovery review (each SPV's deterministic recovery against the review period, beside its
Monte Carlo probability of recovery when computed) and the present values (sheet "Program & values"),
a declined-funding scenario if asked.

Values are written as computed by :mod:`xlspv.portfolio`; the yearly-cap excess and the NPV are
formulas over them, and the Checks sheet ties the present values' program row to the SPV rows where
they share one start date, and the yearly cap's excess to its formula.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ..portfolio import PortfolioResult
from ..portfolio.odds import PROBABILITY_FLAG, level_text
from ..value import VALUE_FIGURES
from .portfolio_layout import fill_rows
from .style import (
    DATE,
    INTEGER,
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
    rules = result.portfolio.program.rules()
    odds = result.recovery_odds
    if odds is not None:  # beside the deterministic review, before the sources
        rules.insert(len(rules) - 1, ("Recovery probability review", odds.describe()))
    for label, text in rules:
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
            # itertuples types each field as any pandas scalar; these columns hold numbers
            ws.cell(row=r, column=1, value=int(cast(int, rec.year)))
            ws.cell(row=r, column=2, value=float(cast(float, rec.funded))).number_format = MONEY
            ws.cell(row=r, column=3, value=float(cast(float, rec.annual_cap))).number_format = MONEY
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
    if program.recovery_years is not None:
        row = _review_block(ws, result, row, checks)
    if result.values is not None:
        row = _values_block(ws, result, row, checks)
    if result.declined is not None:
        row = _declined_block(ws, result, row)
    set_widths(ws, {"A": 22, **{chr(66 + k): 18 for k in range(12)}})
    print_setup(ws)
    return checks


def _review_block(ws: Worksheet, result: PortfolioResult, row: int, checks: list[tuple[str, str]]) -> int:
    """Each SPV's recovery against the review period: the deterministic schedule's threshold date and,
    when computed, the Monte Carlo probability of recovery within the period beside it.

    The period's end (EDATE of the first funding) and both "flagged" columns are formulas; the Checks
    sheet ties their totals to the Flags sheet's counts.
    """
    years = result.portfolio.program.recovery_years
    assert years is not None
    odds = result.recovery_odds
    spvs = result.spvs
    ws.cell(
        row=row,
        column=1,
        value=f"Recovery review: the deemed allocation recovered within {years} years of the first funding",
    ).font = SUBTITLE_FONT
    row += 1
    level_cell = None
    if odds is not None:
        write_text(ws, row, 1, "Stated level")
        ws.cell(row=row, column=2, value=float(odds.level)).number_format = PERCENT
        write_text(
            ws,
            row,
            3,
            f"An SPV whose probability is below {level_text(odds.level)} is flagged (Monte Carlo: "
            f"{odds.scenarios:,} scenarios, seed {odds.seed}; the probability's standard error beside it).",
        )
        level_cell = f"$B${row}"
        row += 1
    headers = ["SPV ID", "First funding", "Review ends", "Threshold date", "Late (1 = flagged)"]
    if odds is not None:
        headers += [f"P(recovered in {years} years)", "Standard error", "Below the level (1 = flagged)"]
    write_header(ws, row, headers)
    first = row + 1
    columns: list[tuple[Any, str | None, str]] = [
        (spvs["id"], None, "s"),
        (spvs["first_funding"], DATE, "d"),
        (f'=IF(B{{r}}="","",EDATE(B{{r}},{12 * years}))', DATE, "f"),
        (spvs["threshold_date"], DATE, "d"),
        ('=IF(B{r}="",0,IF(D{r}="",1,IF(D{r}>C{r},1,0)))', INTEGER, "f"),
    ]
    if odds is not None:
        columns += [
            (np.asarray(odds.probability, dtype=float), PERCENT, "n"),
            (np.asarray(odds.standard_error, dtype=float), PERCENT, "n"),
            (f'=IF(B{{r}}="",0,IF(F{{r}}<{level_cell},1,0))', INTEGER, "f"),
        ]
    fill_rows(ws, first, columns, len(spvs))
    last = first + len(spvs) - 1
    total = last + 1
    write_text(ws, total, 1, "Flagged")
    ws.cell(row=total, column=5, value=f"=SUM(E{first}:E{last})").number_format = INTEGER
    kinds = result.flags["kind"]
    late = int((kinds == "recovery").sum())
    checks.append(
        (
            f"{SHEET}: SPVs late on the deterministic schedule = the Flags sheet's recovery flags ({late})",
            f"='{SHEET}'!E{total}={late}",
        )
    )
    if odds is not None:
        ws.cell(row=total, column=8, value=f"=SUM(H{first}:H{last})").number_format = INTEGER
        below = int((kinds == PROBABILITY_FLAG).sum())
        checks.append(
            (
                f"{SHEET}: SPVs below the stated level = the Flags' recovery probability flags ({below})",
                f"='{SHEET}'!H{total}={below}",
            )
        )
        checks.append(
            (
                f"{SHEET}: every recovery probability is from 0 to 1",
                f"=AND(MIN('{SHEET}'!F{first}:F{last})>=0,MAX('{SHEET}'!F{first}:F{last})<=1)",
            )
        )
    return total + 2


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
    npv = "=C{r}-D{r}"  # the NPV as the formula it is
    table = values.spvs
    columns: list[tuple[Any, str | None, str]] = [(table["id"], None, "s"), (table["start"], DATE, "d")]
    columns += [
        (
            npv if name == "npv_japan" else table[name].to_numpy(dtype=float),
            MONEY,
            "f" if name == "npv_japan" else "n",
        )
        for name in VALUE_FIGURES
    ]
    fill_rows(ws, first, columns, len(table))
    last = first + len(table) - 1
    prog = last + 1
    _values_row(ws, prog, "PROGRAM", values.program)
    ws.cell(row=prog, column=npv_col, value=npv.format(r=prog)).number_format = MONEY
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
        write_text(ws, row, 2, unit)  # the user's unit: text, whatever it starts with
        ws.cell(row=row, column=3, value=float(getattr(pv, name))).number_format = MONEY
    return row


__all__ = ["SHEET", "add_program_rules", "add_values_block", "program_sheet"]
