"""The Cover and Checks sheets every generated workbook carries (FAST / ICAEW Financial Modelling Code).

The Cover says what the workbook is, which engine made it and when, from which input (name and SHA-256),
under which terms and conventions, whether the master check holds, and links to every sheet. The Checks
sheet has one row per check (a native formula that is TRUE when the check holds) and a master check that
is TRUE only when every row is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from openpyxl.styles import Alignment, Font
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from .. import __version__
from ..dates import to_date
from ..terms import RateSchedule, Terms
from .style import (
    CHECK_OK_FILL,
    INTEGER,
    NOTE_FONT,
    SUBTITLE_FONT,
    print_setup,
    set_widths,
    write_header,
    write_text,
    write_title,
)

CHECKS_SHEET = "Checks"
PERCENT_TERMS = "0.00##%"  # rates and shares as per cents, with up to four decimals when they need them
LIMITATIONS = (
    "The MOU's primary text on compounding and day count is not public: both are terms here.",
    "Losses are not modelled: fundings are Japan's; distributions are net cash the user enters.",
    "Taxes and operating costs are not modelled: enter distributable cash after them.",
    "The deemed rate is the user's benchmark plus spread (and any guarantee fee); it is not forecast.",
    "XIRR has one root per guess: series whose sign changes more than once may have several.",
)


def conventions_rows(terms: Terms) -> list[tuple[str, str]]:
    """The Conventions block: the rule and every convention in words."""
    before, after = terms.japan_share_before, terms.japan_share_after
    own = terms.own_rate
    if isinstance(own, RateSchedule):
        rate = "; ".join(f"{r:.4%} from {to_date(d)}" for d, r in zip(own.dates, own.rates, strict=True))
    else:
        rate = f"{float(own):.4%} a year"
    if terms.guarantee_fee:
        rate += f", plus a guarantee fee of {terms.guarantee_fee:.4%} a year"
    if terms.allocation_basis == "cumulative":
        reading = "Cumulative: one running balance of principal plus deemed interest (the default reading)."
    elif terms.allocation_basis == "pooled":
        reading = (
            "Pooled: one deemed balance for the whole program; every SPV's fundings add to it and every "
            "distribution is split against it, in date order (the third reading, program view only)."
        )
    else:
        reading = (
            f"Scheduled: each year, deemed interest plus principal / {terms.useful_life} years plus any "
            "carried shortfall (the second reading)."
        )
    return [
        (
            "Split rule",
            f"Distributable cash goes {1 - before:.0%} US / {before:.0%} Japan until Japan has received its "
            f"deemed allocation amount, then {1 - after:.0%} US / {after:.0%} Japan.",
        ),
        ("Deemed interest rate", rate),
        ("Compounding", terms.compounding),
        ("Day count", terms.day_count),
        ("Deemed allocation reading", reading),
        ("Partner share", f"{terms.partner_share:.2%} of Japan's side (funds and receives pro rata)."),
        ("Sign convention", "Fundings by Japan are negative; distributable cash is positive."),
        ("XIRR convention", "Actual days / 365 from the earliest date, annual compounding (Excel's XIRR)."),
    ]


def add_checks(wb: Workbook, checks: Sequence[tuple[str, str]]) -> str:
    """Append the Checks sheet; return the absolute reference of its master check cell.

    ``checks`` are ``(description, formula)`` pairs; each formula returns TRUE when the check holds.
    """
    ws = wb.create_sheet(CHECKS_SHEET)
    write_title(
        ws,
        "Checks",
        "Each check is a live formula: TRUE when it holds. The master check is TRUE "
        "only when every check is.",
    )
    master_row = 4
    ws.cell(row=master_row, column=1, value="Master check").font = SUBTITLE_FONT
    ws.cell(row=master_row, column=2, value="flag")
    write_header(ws, 6, ["Check", "Unit", "Result"])
    first = 7
    for offset, (label, formula) in enumerate(checks):
        row = first + offset
        write_text(ws, row, 1, label)
        ws.cell(row=row, column=2, value="flag")
        ws.cell(row=row, column=3, value=formula if formula.startswith("=") else f"={formula}")
    last = first + len(checks) - 1
    master = ws.cell(row=master_row, column=3, value=f"=AND(C{first}:C{last})")
    master.font = SUBTITLE_FONT
    master.fill = CHECK_OK_FILL
    set_widths(ws, {"A": 70, "B": 8, "C": 12})
    ws.freeze_panes = "A7"
    print_setup(ws, title_rows="6:6")
    return f"'{CHECKS_SHEET}'!$C${master_row}"


def add_master_check_line(ws: Worksheet, master_ref: str, *, row: int = 3) -> None:
    """Show the master check on an output sheet (row 3 by convention)."""
    ws.cell(row=row, column=1, value="Master check (all checks hold)").font = NOTE_FONT
    ws.cell(row=row, column=2, value=f"={master_ref}")


def add_cover(
    wb: Workbook,
    *,
    title: str,
    description: str,
    terms: Terms,
    input_name: str | None,
    input_sha256: str | None,
    master_check: str | None,
    generated: dt.datetime | None = None,
) -> Worksheet:
    """Insert the Cover as the first sheet; its contents list links to every other sheet."""
    ws = wb.create_sheet("Cover", 0)
    when = (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
    write_title(ws, title, description)
    facts: list[tuple[str, object]] = [
        ("Engine", f"xlspv {__version__}"),
        ("Generated", when),
        ("Input file", input_name or "built-in example (no input file)"),
        ("Input SHA-256", input_sha256 or "n/a"),
    ]
    row = 4
    for label, value in facts:
        ws.cell(row=row, column=1, value=label).font = SUBTITLE_FONT
        write_text(ws, row, 2, value)
        row += 1
    ws.cell(row=row, column=1, value="Master check").font = SUBTITLE_FONT
    if master_check:
        shown = ws.cell(row=row, column=2, value=f"={master_check}")
        shown.alignment = Alignment(horizontal="left")
    else:
        ws.cell(row=row, column=2, value="no checks in this workbook")
    row += 2

    ws.cell(row=row, column=1, value="Contents").font = SUBTITLE_FONT
    row += 1
    for sheet in wb.sheetnames:
        if sheet == ws.title:
            continue
        cell = ws.cell(row=row, column=1, value=sheet)
        cell.hyperlink = f"#'{sheet}'!A1"
        cell.font = Font(color="FF0563C1", underline="single")
        row += 1
    row += 1

    ws.cell(row=row, column=1, value="Terms used").font = SUBTITLE_FONT
    row += 1
    for name, value in terms.as_rows():
        write_text(ws, row, 1, name)
        if value is None:
            row += 1
            continue
        cell = write_text(ws, row, 2, value)
        cell.alignment = Alignment(horizontal="left")
        if isinstance(value, float):
            cell.number_format = PERCENT_TERMS
        elif isinstance(value, int):
            cell.number_format = INTEGER
        row += 1
    row += 1

    ws.cell(row=row, column=1, value="Conventions").font = SUBTITLE_FONT
    row += 1
    for label, text in conventions_rows(terms):
        write_text(ws, row, 1, label)
        write_text(ws, row, 2, text)
        row += 1
    row += 1
    ws.cell(row=row, column=1, value="Limitations").font = SUBTITLE_FONT
    row += 1
    for text in LIMITATIONS:
        write_text(ws, row, 2, text)
        row += 1
    set_widths(ws, {"A": 28, "B": 110})
    print_setup(ws)
    return ws
