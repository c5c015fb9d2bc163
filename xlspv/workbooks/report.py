"""The report workbook: one SPV's waterfall, laid out for reviewers (FAST Standard, ICAEW Code).

Sheets, in the standard order:

- **Cover**: what the workbook is, engine, time, input file and SHA-256, terms, conventions, the
  master check, contents.
- **Inputs** and **Terms** (inputs, styled as inputs): the cash flows (the Excel table ``Flows``,
  in date order, each with its row in the input) and the terms (the table ``Terms``; every value is a
  named cell, e.g. ``japan_share_before``), plus the checks' tolerances.
- **Audit** (calculation): the cumulative reading of the waterfall recomputed with native Excel
  formulas from Inputs and Terms, one row per cash flow in date order. Flags (1/0) pick each row's
  rule instead of nested IFs; the day count and compounding are flags too; a dated deemed rate is
  handled by one column per rate period, each accruing the part of a row's span that falls in its
  period (so a rate change between two rows splits the span exactly as the core does, under every day
  count, ``DAYS360`` included). Formulas hold no numeric constants but 0-12, 100, 360, 365 and 1000.
- **Summary**, **Waterfall**, **Schedule** (scheduled reading only), **Charts** (outputs, values
  computed by :func:`xlspv.compute`; the chart data are live sums over the Waterfall sheet).
- **Checks**: native formulas, TRUE when they hold; the master check is shown on the Cover and on
  every calculation and output sheet.

The report never depends on the add-in: Summary and Waterfall hold values, Audit and Checks native
formulas that Excel and LibreOffice recalculate on load. Text from inputs is written as text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.styles import Alignment
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table
from openpyxl.worksheet.worksheet import Worksheet

from ..dates import to_date, to_ordinal
from ..errors import SpvError, SpvInputError
from ..progress import Progress
from ..progress import say as tell
from ..scheduled import DEFAULT_USEFUL_LIFE
from ..terms import COMPOUNDINGS, DAY_COUNTS, TERM_INFO, RateSchedule, Terms
from ..waterfall import Waterfall, compute
from .audit import PERIOD_COL, audit_sheet
from .cover import add_checks, add_cover, add_master_check_line
from .files import check_output, save_workbook, sha256_of
from .reader import SpvInput, term_rows_of
from .report_checks import checks
from .report_layout import (
    AUDIT_FIRST,
    AUDIT_TAIL_ROWS,
    CHECK_TOLERANCE,
    FIRST,
    HEADER_ROW,
    RATE_TOLERANCE,
    TABLE_STYLE,
    UNITS_ROW,
    WATERFALL_COLUMNS,
    Report,
    W,
    abs_ref,
    col_range,
    define,
    flows_in_date_order,
    row_table_header,
)
from .streamed import MAX_COLUMNS, MAX_ROWS, Column, StreamedWorkbook
from .style import (
    DATE,
    INPUT_FILL,
    INPUT_FONT,
    INTEGER,
    MONEY,
    MULTIPLE,
    PERCENT,
    SUBTITLE_FONT,
    YEARS,
    print_setup,
    set_widths,
    shown_text,
    style_input,
    write_header,
    write_text,
    write_title,
)


@dataclass(frozen=True)
class Reading:
    """One reading's headline figures for the Summary's comparison table."""

    label: str
    waterfall: Waterfall | None
    note: str = ""


def write_report(
    spv: SpvInput,
    terms: Terms,
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    input_path: str | os.PathLike[str] | None = None,
    name: str | None = None,
    unit: str = "$m",
    progress: Progress | None = None,
    generated: dt.datetime | None = None,
) -> Path:
    """Compute one SPV's waterfall and write the report workbook to ``out`` (atomically).

    Parameters
    ----------
    spv : SpvInput
        The cash flows (and notes) as read by :func:`xlspv.workbooks.reader.read_input`, or the
        built-in example (:func:`~xlspv.workbooks.reader.example_input`).
    terms : Terms
        The terms to use (validated).
    out : path
        The report to write (.xlsx). Refused when it exists (unless ``force``) or is the input.
    force : bool
        Replace an existing ``out``.
    input_path : path, optional
        The input file (default ``spv.source``): its name and SHA-256 go on the Cover.
    name : str, optional
        The project's name for titles (default ``spv.name``), written as text.
    unit : str
        The money unit of the values (default "$m"), shown in every unit column.
    progress : callable, optional
        Called with a short message at each stage (the command line prints them to stderr).

    Returns
    -------
    Path
        The written report.

    Raises
    ------
    xlspv.errors.SpvError
        Bad inputs or terms; :class:`~xlspv.errors.OutputError` for the output path.

    Notes
    -----
    The Inputs, Audit and Waterfall sheets list the rows in date order (the order the waterfall
    processes them; rows on one date keep their input order), each with its row number in the input:
    the Audit recomputes them top to bottom, and a check says the Inputs are still in date order.

    Examples
    --------
    >>> import pathlib, tempfile, openpyxl
    >>> from xlspv.workbooks.reader import example_input
    >>> spv = example_input()
    >>> path = write_report(spv, spv.terms(), pathlib.Path(tempfile.mkdtemp()) / "report.xlsx")
    >>> openpyxl.load_workbook(path).sheetnames[:6]
    ['Cover', 'Inputs', 'Terms', 'Audit', 'Summary', 'Waterfall']
    """
    say = functools.partial(tell, progress)
    source = Path(input_path) if input_path is not None else spv.source
    path = check_output(out, force=force, inputs=[source])
    check_fits(len(spv.dates), terms)  # before any work: a report past Excel's grid is refused at once
    say("computing the waterfall")
    w = compute(spv.values, spv.dates, terms)
    readings = _readings(spv, terms, w)
    order, dates, notes = flows_in_date_order(spv, w)
    report = Report(StreamedWorkbook(), spv, w.terms, w, unit, order, dates, notes)
    report.wb.remove(report.wb.active)
    say("writing the Inputs, Terms and Audit sheets")
    _inputs_sheet(report)
    _terms_sheet(report)
    audit_sheet(report)
    say("writing the Summary, Waterfall, Schedule and Charts sheets")
    _summary_sheet(report, readings)
    _waterfall_sheet(report)
    for reading in readings:  # the first reading with a schedule shows it
        if reading.waterfall is not None and reading.waterfall.schedule is not None:
            _schedule_sheet(report, reading.waterfall, reading.waterfall.schedule)
            break
    _charts_sheet(report)
    master = add_checks(report.wb, checks(report))
    for sheet in report.wb.sheetnames:
        if sheet not in ("Inputs", "Terms", "Checks"):
            add_master_check_line(report.wb[sheet], master)
    title = f"xlspv report: {name or spv.name or 'SPV'}"
    add_cover(
        report.wb,
        title=title,
        description="The cash split of one US-Japan strategic-investment SPV: inputs, native-formula audit, "
        "results, charts and checks.",
        terms=report.terms,
        input_name=source.name if source is not None else None,
        input_sha256=_input_sha256(spv, source),
        master_check=master,
        generated=generated,
    )
    for ws in report.wb.worksheets:  # only the Cover selected: grouped sheets would take every edit
        ws.sheet_view.tabSelected = ws.title == "Cover"
    report.wb.active = 0
    say(f"saving {path}")
    return save_workbook(report.wb, path, force=force)


def check_fits(n: int, terms: Terms) -> None:
    """Refuse a report whose sheets would pass Excel's grid (1,048,576 rows, 16,384 columns).

    The Audit is the tallest sheet: its rows, then its conventions and rate-period blocks
    (:data:`~.report_layout.AUDIT_TAIL_ROWS`); it is also the widest, one column per rate period.
    """
    rows = AUDIT_FIRST + n - 1 + AUDIT_TAIL_ROWS
    rate = terms.deemed_rate
    periods = len(rate.rates) if isinstance(rate, RateSchedule) else 1
    if rows > MAX_ROWS:
        raise SpvInputError(
            f"{n:,} cash flows: the report's Audit sheet would need {rows:,} rows, past Excel's "
            f"{MAX_ROWS:,}; at most {MAX_ROWS - AUDIT_FIRST + 1 - AUDIT_TAIL_ROWS:,} cash flows fit in one "
            "report: split the input (or sum flows on the same date)."
        )
    if PERIOD_COL + periods - 1 > MAX_COLUMNS:
        raise SpvInputError(
            f"{periods:,} deemed-rate periods: the report's Audit sheet would need "
            f"{PERIOD_COL + periods - 1:,} columns, past Excel's {MAX_COLUMNS:,}; give fewer rate changes."
        )


def _input_sha256(spv: SpvInput, source: Path | None) -> str | None:
    """The input's SHA-256: the one taken when it was read, else the file's now."""
    if source is None:
        return None
    if spv.source is not None and spv.sha256 and Path(spv.source).resolve() == source.resolve():
        return spv.sha256
    return sha256_of(source)


def _readings(spv: SpvInput, terms: Terms, w: Waterfall) -> list[Reading]:
    """The cumulative and the scheduled reading of the same flows (the second when xlspv has it)."""
    cumulative = dataclasses.replace(terms, allocation_basis="cumulative")
    life = terms.useful_life
    life_note = (
        f"{life} years, from the terms"
        if life
        else f"{DEFAULT_USEFUL_LIFE} years, default: the terms give none"
    )
    readings = [
        Reading(
            "Cumulative (default)",
            w if terms.allocation_basis == "cumulative" else compute(spv.values, spv.dates, cumulative),
        )
    ]
    label = f"Scheduled (useful life {life_note})"
    if terms.allocation_basis == "scheduled":
        readings.append(Reading(label, w))
    else:
        scheduled = dataclasses.replace(
            terms, allocation_basis="scheduled", useful_life=life or DEFAULT_USEFUL_LIFE
        )
        try:
            readings.append(Reading(label, compute(spv.values, spv.dates, scheduled)))
        except SpvError as exc:
            readings.append(Reading(label, None, f"not computed: {exc}"))
    return readings


# --- Inputs and Terms -----------------------------------------------------------------------------


def _inputs_sheet(r: Report) -> None:
    ws = r.wb.create_sheet("Inputs")
    write_title(
        ws,
        "Inputs: the cash flows",
        "In date order (the order the waterfall processes them; rows on one date keep their input order); "
        "'Input row' is each row's place in the input. Fundings negative, distributions positive.",
    )
    columns = [
        ("input_row", "Input row", "#", INTEGER),
        ("date", "Date", "date", DATE),
        ("value", "Value", "{unit}", MONEY),
        ("note", "Note", "text", None),
    ]
    row_table_header(ws, columns, r.unit)
    input_rows = (np.asarray(r.order) + 1).tolist()
    values = np.asarray(r.spv.values, dtype=float)[r.order].tolist()
    flow_dates, notes = r.dates, r.notes
    r.wb.stream_rows(
        ws,
        FIRST,
        r.n,
        [
            Column("n", INTEGER),
            Column("d", DATE, INPUT_FONT, INPUT_FILL),
            Column("n", MONEY, INPUT_FONT, INPUT_FILL),
            Column("s", None, INPUT_FONT, INPUT_FILL),
        ],
        lambda i: (input_rows[i], flow_dates[i], values[i], notes[i]),
    )
    ws.add_table(Table(displayName="Flows", ref=f"A{HEADER_ROW}:D{r.last}", tableStyleInfo=TABLE_STYLE))
    dates = DataValidation(
        type="date",
        operator="between",
        formula1="61",
        formula2="2958465",
        allow_blank=False,
        error="Enter a date.",
        errorTitle="Date",
    )
    values_dv = DataValidation(
        type="decimal",
        operator="between",
        formula1="-1E+15",
        formula2="1E+15",
        allow_blank=False,
        error="Enter a number: fundings negative.",
        errorTitle="Value",
    )
    ws.add_data_validation(dates)
    ws.add_data_validation(values_dv)
    dates.add(f"B{FIRST}:B{r.last}")
    values_dv.add(f"C{FIRST}:C{r.last}")
    set_widths(ws, {"A": 10, "B": 12, "C": 14, "D": 44})
    ws.freeze_panes = f"B{FIRST}"
    print_setup(ws, title_rows=f"{UNITS_ROW}:{HEADER_ROW}", area=f"A1:D{r.last}")
    r.refs["in_date"] = col_range("Inputs", "B", FIRST, r.last)


def _terms_sheet(r: Report) -> None:
    ws = r.wb.create_sheet("Terms")
    write_title(
        ws,
        "Terms",
        "Inputs to the Audit sheet's formulas: each value is a named cell. Edit one and the Audit "
        "recalculates; the Checks then compare it with the Waterfall computed by xlspv.",
    )
    header = 5
    write_header(ws, header, ["Name", "Value", "Effective from", "Unit", "Explanation"])
    row = header + 1
    lists = {
        "day_count": ",".join(DAY_COUNTS),
        "compounding": ",".join(COMPOUNDINGS),
        "allocation_basis": "cumulative,scheduled",
    }
    shares = DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2="1",
        error="Enter a share between 0 and 1 (50% = 0.5).",
        errorTitle="Share",
    )
    rates = DataValidation(
        type="decimal",
        operator="greaterThan",
        formula1="-1",
        error="Enter an annual rate above -100%.",
        errorTitle="Deemed rate",
    )
    years = DataValidation(
        type="whole",
        operator="greaterThanOrEqual",
        formula1="1",
        allow_blank=True,
        error="Enter whole years, 1 or more.",
        errorTitle="Useful life",
    )
    for dv in (shares, rates, years):
        ws.add_data_validation(dv)
    schedule_rows: list[int] = []
    for name, value, effective in term_rows_of(r.terms):
        write_text(ws, row, 1, name)
        cell = write_text(ws, row, 2, value)
        fmt = (
            PERCENT
            if name in ("deemed_rate", "japan_share_before", "japan_share_after", "partner_share")
            else None
        )
        style_input(cell, fmt)
        if name in lists:
            dv = DataValidation(
                type="list",
                formula1=f'"{lists[name]}"',
                allow_blank=False,
                error=f"Choose one of {lists[name]}.",
                errorTitle=name,
            )
            ws.add_data_validation(dv)
            dv.add(cell)
        elif name in ("japan_share_before", "japan_share_after", "partner_share"):
            shares.add(cell)
        elif name == "deemed_rate":
            rates.add(cell)
        elif name == "useful_life":
            years.add(cell)
        if effective is not None:
            style_input(ws.cell(row=row, column=3, value=effective), DATE)
        write_text(ws, row, 4, TERM_INFO[name].unit)
        write_text(ws, row, 5, TERM_INFO[name].help)
        if name == "deemed_rate":
            schedule_rows.append(row)
        else:
            define(r.wb, name, "Terms", f"$B${row}")
        row += 1
    last_term = row - 1
    ws.add_table(Table(displayName="Terms", ref=f"A{header}:E{last_term}", tableStyleInfo=TABLE_STYLE))
    if isinstance(r.terms.deemed_rate, RateSchedule):
        first, last = schedule_rows[0], schedule_rows[-1]
        define(r.wb, "rate_dates", "Terms", f"$C${first}:$C${last}")
        define(r.wb, "rate_values", "Terms", f"$B${first}:$B${last}")
    else:
        define(r.wb, "deemed_rate", "Terms", f"$B${schedule_rows[0]}")

    row = last_term + 2
    ws.cell(row=row, column=1, value="Check tolerances").font = SUBTITLE_FONT
    row += 1
    write_header(ws, row, ["Name", "Value", "", "Unit", "Explanation"])
    tolerances = [
        (
            "tolerance",
            CHECK_TOLERANCE,
            "relative",
            "Money checks hold when |a - b| <= tolerance x (1 + |b|); Audit against Waterfall, row by "
            "row, relative to the row's running magnitude: tolerance x (1 + |b| + owed before the cash "
            "+ |value|), since the Audit's rounding grows with the balance a row carries.",
        ),
        ("rate_tolerance", RATE_TOLERANCE, "rate", "Rate checks (XIRR) hold when |a - b| <= rate_tolerance."),
    ]
    for name, value, unit, text in tolerances:
        row += 1
        write_text(ws, row, 1, name)
        style_input(ws.cell(row=row, column=2, value=value), "0.0E+00")
        write_text(ws, row, 4, unit)
        write_text(ws, row, 5, text)
        define(r.wb, name, "Terms", f"$B${row}")
    set_widths(ws, {"A": 22, "B": 14, "C": 14, "D": 10, "E": 90})
    ws.freeze_panes = f"B{header + 1}"
    print_setup(ws, title_rows=f"{header}:{header}", area=f"A1:E{row}")


# --- outputs --------------------------------------------------------------------------------------


def _fmt_or_na(ws: Worksheet, row: int, col: int, value: Any, fmt: str, na: str = "n/a") -> None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        write_text(ws, row, col, na)
    else:
        ws.cell(row=row, column=col, value=value).number_format = fmt


def _summary_sheet(r: Report, readings: list[Reading]) -> None:
    ws = r.wb.create_sheet("Summary")
    s = r.w.summary()
    basis = "cumulative" if r.terms.allocation_basis == "cumulative" else "scheduled"
    write_title(ws, "Summary", f"Computed by xlspv ({basis} reading); values. Money in {r.unit}.")
    write_header(ws, 5, ["Item", "Unit", "Value"])
    u = r.unit
    items: list[tuple[str, str, str, Any, str, str]] = [
        (
            "threshold",
            "Threshold date (deemed allocation recovered for good)",
            "date",
            s.threshold_date,
            DATE,
            "not reached",
        ),
        (
            "years",
            "Years from the first cash flow to the threshold",
            "years",
            s.years_to_threshold,
            YEARS,
            "n/a",
        ),
        ("unrecovered", "Unrecovered deemed allocation", u, s.unrecovered, MONEY, "n/a"),
        ("japan_funded", "Japan funded", u, s.japan_funded, MONEY, "n/a"),
        ("japan_received", "Japan received (partner included)", u, s.japan_received, MONEY, "n/a"),
        ("us_received", "US received", u, s.us_received, MONEY, "n/a"),
        ("partner_funded", "Partner funded", u, s.partner_funded, MONEY, "n/a"),
        ("partner_received", "Partner received", u, s.partner_received, MONEY, "n/a"),
        ("distributed", "Distributable cash (total)", u, s.distributed, MONEY, "n/a"),
        ("xirr_japan", "XIRR: Japan", "%", s.xirr_japan, PERCENT, "n/a (no IRR)"),
        ("xirr_us", "XIRR: US (never funds, so none)", "%", s.xirr_us, PERCENT, "n/a (no IRR)"),
        ("xirr_partner", "XIRR: partner", "%", s.xirr_partner, PERCENT, "n/a (no partner)"),
        (
            "xirr_project",
            "XIRR: project (the SPV's own values)",
            "%",
            s.xirr_project,
            PERCENT,
            "n/a (no IRR)",
        ),
        (
            "multiple_japan",
            "Multiple of money: Japan (received / funded)",
            "x",
            s.multiple_japan,
            MULTIPLE,
            "n/a",
        ),
        (
            "multiple_partner",
            "Multiple of money: partner",
            "x",
            s.multiple_partner,
            MULTIPLE,
            "n/a (no partner)",
        ),
    ]
    row = 6
    for key, label, unit, value, fmt, na in items:
        write_text(ws, row, 1, label)
        write_text(ws, row, 2, unit)
        _fmt_or_na(ws, row, 3, value, fmt, na)
        r.refs[f"summary_{key}"] = abs_ref("Summary", f"$C${row}")
        row += 1

    row += 1
    ws.cell(row=row, column=1, value="Terms used").font = SUBTITLE_FONT
    row += 1
    write_header(ws, row, ["Term", "Unit", "Value", "Effective from"])
    for name, value, effective in term_rows_of(r.terms):
        row += 1
        write_text(ws, row, 1, name)
        write_text(ws, row, 2, TERM_INFO[name].unit)
        cell = write_text(ws, row, 3, "" if value is None else value)
        if TERM_INFO[name].percent:
            cell.number_format = PERCENT
        if effective is not None:
            ws.cell(row=row, column=4, value=effective).number_format = DATE

    row += 2
    ws.cell(
        row=row, column=1, value="Readings: the same flows under both readings of the deemed allocation"
    ).font = SUBTITLE_FONT
    row += 1
    write_header(ws, row, ["Figure", "Unit", *[rd.label for rd in readings]])
    ws.row_dimensions[row].height = 45
    figures: list[tuple[str, str, Callable[[Any], Any], str, str]] = [
        ("Threshold date", "date", lambda x: x.threshold_date, DATE, "not reached"),
        ("XIRR: Japan", "%", lambda x: x.xirr_japan, PERCENT, "n/a (no IRR)"),
        ("Japan received", u, lambda x: x.japan_received, MONEY, "n/a"),
        ("US received", u, lambda x: x.us_received, MONEY, "n/a"),
        ("Partner received", u, lambda x: x.partner_received, MONEY, "n/a"),
        ("Unrecovered deemed allocation", u, lambda x: x.unrecovered, MONEY, "n/a"),
    ]
    summaries = [rd.waterfall.summary() if rd.waterfall is not None else None for rd in readings]
    for label, unit, get, fmt, na in figures:
        row += 1
        write_text(ws, row, 1, label)
        write_text(ws, row, 2, unit)
        for j, (rd, summ) in enumerate(zip(readings, summaries, strict=True)):
            if summ is None:
                write_text(ws, row, 3 + j, rd.note)
            else:
                _fmt_or_na(ws, row, 3 + j, get(summ), fmt, na)
    from .portfolio_program import add_values_block  # present values (docs/waterfall.md, section 16)

    row = add_values_block(ws, r.w, row + 2, u)
    set_widths(ws, {"A": 58, "B": 10, "C": 22, "D": 30})
    ws.freeze_panes = "A6"
    print_setup(ws, title_rows="5:5", area=f"A1:D{row}")


#: The Waterfall's computed columns, in sheet order after Value (the row function lists them so).
W_NUMBERS = ("interest", "japan", "us", "partner", "balance", "tier")


def _waterfall_sheet(r: Report) -> None:
    ws = r.wb.create_sheet("Waterfall")
    basis = r.terms.allocation_basis
    write_title(
        ws,
        "Waterfall",
        f"Computed by xlspv ({basis} reading); values, one row per cash flow in date order ('Input row' is "
        f"its place in the input). Money in {r.unit}.",
    )
    row_table_header(ws, WATERFALL_COLUMNS, r.unit)
    w, order = r.w, r.order
    numbers = [
        np.asarray(x, dtype=float)[order].tolist()
        for x in (r.spv.values, w.interest, w.japan, w.us, w.partner, w.balance)
    ]
    value, interest, japan, us, partner, balance = numbers
    input_rows = (np.asarray(order) + 1).tolist()
    tiers = [str(t) for t in w.tiers[order]]
    dates, notes = r.dates, r.notes
    kinds = {"note": "s", "tier": "s", "date": "d"}
    first_keys = ["note", "step", "input_row", "date", "value"]
    assert [key for key, *_ in WATERFALL_COLUMNS] == [*first_keys, *W_NUMBERS]
    r.wb.stream_rows(
        ws,
        FIRST,
        r.n,
        [Column(kinds.get(key, "n"), fmt) for key, _h, _u, fmt in WATERFALL_COLUMNS],
        lambda i: (
            notes[i],
            i + 1,
            input_rows[i],
            dates[i],
            value[i],
            interest[i],
            japan[i],
            us[i],
            partner[i],
            balance[i],
            tiers[i],
        ),
    )
    last_col = W["tier"]
    ws.add_table(
        Table(
            displayName="WaterfallTable", ref=f"A{HEADER_ROW}:{last_col}{r.last}", tableStyleInfo=TABLE_STYLE
        )
    )
    set_widths(ws, {W["note"]: 34, **{W[k]: 13 for k in W if k != "note"}})
    ws.freeze_panes = f"{W['value']}{FIRST}"
    print_setup(ws, title_rows=f"{UNITS_ROW}:{HEADER_ROW}", area=f"A1:{last_col}{r.last}")


SCHEDULE_HEADERS = {
    "year": ("Allocation year", "#", INTEGER),
    "start": ("Starts", "date", DATE),
    "end": ("Ends (next year's start)", "date", DATE),
    "shortfall_in": ("Shortfall carried in", "{unit}", MONEY),
    "interest": ("Deemed interest", "{unit}", MONEY),
    "installments": ("Principal installments", "{unit}", MONEY),
    "due": ("Amount due", "{unit}", MONEY),
    "paid": ("Paid at the before-share", "{unit}", MONEY),
    "shortfall_out": ("Shortfall carried out", "{unit}", MONEY),
}


def _schedule_sheet(r: Report, w: Waterfall, table: pd.DataFrame) -> None:
    ws = r.wb.create_sheet("Schedule")
    life = w.terms.useful_life
    main = r.terms.allocation_basis == "scheduled"
    write_title(
        ws,
        "Schedule: the scheduled reading, year by year",
        f"Amount due, paid and carried per allocation year (useful life {life} years"
        + ("" if main else "; shown for comparison: this report's waterfall uses the cumulative reading")
        + f"). Money in {r.unit}.",
    )
    columns = [
        (str(c), *SCHEDULE_HEADERS.get(str(c), (str(c).replace("_", " ").capitalize(), "", None)))
        for c in table.columns
    ]
    row_table_header(ws, columns, r.unit)
    for i, record in enumerate(table.itertuples(index=False)):
        row = FIRST + i
        for j, (value, (_key, _h, _u, fmt)) in enumerate(zip(record, columns, strict=True), start=1):
            if isinstance(value, np.datetime64) or hasattr(value, "to_pydatetime"):
                value = to_date(to_ordinal(value))
            elif isinstance(value, np.integer):
                value = int(value)
            elif isinstance(value, np.floating):
                value = float(value)
            cell = ws.cell(row=row, column=j, value=value)
            if fmt:
                cell.number_format = fmt
    last = FIRST + max(len(table), 1) - 1
    last_col = get_column_letter(len(columns))
    ws.add_table(
        Table(displayName="ScheduleTable", ref=f"A{HEADER_ROW}:{last_col}{last}", tableStyleInfo=TABLE_STYLE)
    )
    set_widths(ws, {get_column_letter(j): 14 for j in range(1, len(columns) + 1)})
    ws.freeze_panes = f"B{FIRST}"
    print_setup(ws, title_rows=f"{UNITS_ROW}:{HEADER_ROW}", area=f"A1:{last_col}{last}")


def _charts_sheet(r: Report) -> None:
    ws = r.wb.create_sheet("Charts")
    write_title(
        ws,
        "Charts",
        f"Payouts per party by calendar year (live sums over the Waterfall sheet) and "
        f"the deemed balance over time. Money in {r.unit}.",
    )
    partner = r.terms.partner_share > 0
    parties = [("Japanese entity", f"{W['japan']}", f"-{W['partner']}"), ("US", f"{W['us']}", "")]
    if partner:
        parties.insert(1, ("Partner", f"{W['partner']}", ""))
    header = 5
    write_header(ws, header, ["Year", *[p[0] for p in parties], "Total"])
    years = range(r.dates[0].year, r.dates[-1].year + 1)
    dates = col_range("Waterfall", W["date"], FIRST, r.last)
    row = header
    for year in years:
        row += 1
        ws.cell(row=row, column=1, value=year).number_format = INTEGER
        for j, (_label, col, minus) in enumerate(parties, start=2):
            amount = col_range("Waterfall", col, FIRST, r.last)
            if minus:
                amount = f"({amount}-{col_range('Waterfall', minus[1:], FIRST, r.last)})"
            cell = ws.cell(row=row, column=j, value=f"=SUMPRODUCT((YEAR({dates})=$A{row})*{amount})")
            cell.number_format = MONEY
        total_col = len(parties) + 2
        ws.cell(
            row=row, column=total_col, value=f"=SUM(B{row}:{get_column_letter(total_col - 1)}{row})"
        ).number_format = MONEY
    last_year_row = row

    bars = BarChart()
    bars.type = "col"
    bars.grouping = "stacked"
    bars.overlap = 100
    bars.title = "Payouts per party by year"
    bars.y_axis.title = shown_text(r.unit)  # a chart title is text a workbook must hold
    bars.y_axis.numFmt = "#,##0"
    bars.x_axis.title = "Year"
    data = Reference(ws, min_col=2, max_col=len(parties) + 1, min_row=header, max_row=last_year_row)
    bars.add_data(data, titles_from_data=True)
    bars.set_categories(Reference(ws, min_col=1, min_row=header + 1, max_row=last_year_row))
    bars.x_axis.delete = bars.y_axis.delete = False  # openpyxl 3.1 omits the axes otherwise
    bars.width, bars.height = 24, 11
    ws.add_chart(bars, f"{get_column_letter(len(parties) + 4)}5")

    # The threshold marker: a vertical segment at the threshold date, from 0 to the largest balance.
    marker = last_year_row + 2
    ws.cell(row=marker, column=1, value="Threshold marker").font = SUBTITLE_FONT
    write_header(ws, marker + 1, ["Date", "Balance"])
    when = r.w.threshold_date
    wf = r.wb["Waterfall"]
    balance = col_range("Waterfall", W["balance"], FIRST, r.last)
    for i, level in enumerate(("=0", f"=MAX({balance})")):
        row = marker + 2 + i
        if when is not None:
            ws.cell(row=row, column=1, value=f"={r.refs['summary_threshold']}").number_format = DATE
        else:
            ws.cell(row=row, column=1, value="not reached")
        ws.cell(row=row, column=2, value=level).number_format = MONEY

    line = ScatterChart()
    line.title = "Deemed balance over time" + (
        f" (threshold {when:%Y-%m-%d})" if when else " (threshold not reached)"
    )
    line.style = 13
    line.y_axis.title = shown_text(r.unit)
    line.y_axis.numFmt = "#,##0"
    line.x_axis.title = "Date"
    line.x_axis.number_format = "yyyy"
    xs = Reference(wf, min_col=column_index_from_string(W["date"]), min_row=FIRST, max_row=r.last)
    ys = Reference(wf, min_col=column_index_from_string(W["balance"]), min_row=FIRST, max_row=r.last)
    series = Series(ys, xs, title="Deemed balance")
    series.marker.symbol = "none"
    series.smooth = False
    line.series.append(series)
    if when is not None:
        mx = Reference(ws, min_col=1, min_row=marker + 2, max_row=marker + 3)
        my = Reference(ws, min_col=2, min_row=marker + 2, max_row=marker + 3)
        threshold = Series(my, mx, title=f"Threshold {when:%Y-%m-%d}")
        threshold.marker.symbol = "none"
        threshold.graphicalProperties.line.solidFill = "C00000"
        threshold.graphicalProperties.line.dashStyle = "dash"
        line.series.append(threshold)
    line.x_axis.delete = line.y_axis.delete = False
    line.scatterStyle = "line"
    line.width, line.height = 24, 11
    ws.add_chart(line, f"{get_column_letter(len(parties) + 4)}28")
    set_widths(ws, {"A": 10, **{get_column_letter(j): 16 for j in range(2, len(parties) + 3)}})
    ws.freeze_panes = f"B{header + 1}"
    print_setup(ws, title_rows=f"{header}:{header}", area=f"A1:{get_column_letter(len(parties) + 19)}50")
    for cell in ws[header]:
        cell.alignment = Alignment(wrap_text=True)
