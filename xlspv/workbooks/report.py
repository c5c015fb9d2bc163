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
import importlib.util
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.styles import Alignment
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ..dates import to_date, to_ordinal
from ..errors import SpvError
from ..scheduled import DEFAULT_USEFUL_LIFE
from ..terms import COMPOUNDINGS, DAY_COUNTS, RateSchedule, Terms
from ..waterfall import Waterfall, compute
from .cover import add_checks, add_cover, add_master_check_line
from .files import check_output, save_workbook, sha256_of
from .reader import SpvInput, term_rows_of
from .style import (
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

#: Tolerances of the Checks sheet (inputs on Terms): relative for money, absolute for rates.
CHECK_TOLERANCE = 1e-9
RATE_TOLERANCE = 1e-8
EXPONENT = "0.000000000"
DATE_OR_DASH = f'{DATE};;"-"'
FLAG = "0"
TABLE_STYLE = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    """Progress callback that says nothing."""


# --- layout ---------------------------------------------------------------------------------------

UNITS_ROW, HEADER_ROW = 5, 6  # every row table: units above the header
FIRST = HEADER_ROW + 1  # first data row of Inputs and Waterfall
AUDIT_OPENING = HEADER_ROW + 1  # the Audit's opening row (balances before the first cash flow)
AUDIT_FIRST = AUDIT_OPENING + 1

#: The Audit's row columns: (key, header, unit, number format). The formulas are in ``_audit_row``.
AUDIT_COLUMNS: list[tuple[str, str, str, str | None]] = [
    ("label", "Note (from the input)", "text", None),
    ("step", "Step", "#", INTEGER),
    ("input_row", "Input row", "#", INTEGER),
    ("date", "Date", "date", DATE),
    ("prev", "Previous date", "date", DATE),
    ("value", "Value", "{unit}", MONEY),
    ("funding", "Funding by Japan", "{unit}", MONEY),
    ("cash", "Distributable cash", "{unit}", MONEY),
    ("exp", "Accrual exponent since previous row", "exponent", EXPONENT),
    ("open_p", "Opening principal", "{unit}", MONEY),
    ("open_a", "Opening accrued interest (simple)", "{unit}", MONEY),
    ("interest", "Deemed interest", "{unit}", MONEY),
    ("pre_p", "Principal before cash", "{unit}", MONEY),
    ("pre_a", "Accrued interest before cash", "{unit}", MONEY),
    ("owed", "Owed before cash (B)", "{unit}", MONEY),
    ("f_fund", "Funding row", "flag", FLAG),
    ("f_open", "Balance open (B > 0)", "flag", FLAG),
    ("f_before", "Before the threshold", "flag", FLAG),
    ("f_thr", "Threshold row", "flag", FLAG),
    ("f_after", "After the threshold", "flag", FLAG),
    ("after_cash", "Cash split at the after-shares", "{unit}", MONEY),
    ("japan", "Japan", "{unit}", MONEY),
    ("us", "US", "{unit}", MONEY),
    ("partner", "Partner", "{unit}", MONEY),
    ("paid_a", "Interest paid", "{unit}", MONEY),
    ("paid_p", "Principal paid", "{unit}", MONEY),
    ("close_p", "Closing principal", "{unit}", MONEY),
    ("close_a", "Closing accrued interest", "{unit}", MONEY),
    ("balance", "Balance (B after the row)", "{unit}", MONEY),
    ("tier", "Tier", "text", None),
    ("japan_flow", "Japan's net cash flow", "{unit}", MONEY),
    ("last_thr", "Last threshold date so far", "date", DATE_OR_DASH),
]
A = {key: get_column_letter(i + 1) for i, (key, *_rest) in enumerate(AUDIT_COLUMNS)}
PERIOD_COL = len(AUDIT_COLUMNS) + 2  # one blank column, then one column per rate period

#: The Waterfall sheet's columns: (key, header, unit, number format).
WATERFALL_COLUMNS: list[tuple[str, str, str, str | None]] = [
    ("note", "Note", "text", None),
    ("step", "Step", "#", INTEGER),
    ("input_row", "Input row", "#", INTEGER),
    ("date", "Date", "date", DATE),
    ("value", "Value", "{unit}", MONEY),
    ("interest", "Deemed interest", "{unit}", MONEY),
    ("japan", "Japan", "{unit}", MONEY),
    ("us", "US", "{unit}", MONEY),
    ("partner", "Partner", "{unit}", MONEY),
    ("balance", "Balance", "{unit}", MONEY),
    ("tier", "Tier", "text", None),
]
W = {key: get_column_letter(i + 1) for i, (key, *_rest) in enumerate(WATERFALL_COLUMNS)}

TERM_HELP = {
    "deemed_rate": "Annual deemed interest rate (benchmark + spread); a dated rate has one row per change.",
    "japan_share_before": "Japan's share of distributions until its deemed allocation is recovered.",
    "japan_share_after": "Japan's share of distributions after the threshold.",
    "day_count": "ACT/365F, ACT/360 or 30/360 (Excel's DAYS360(start, end, FALSE)/360).",
    "compounding": "annual, semiannual, quarterly, monthly, continuous or simple.",
    "partner_share": "Part of Japan's side held by a foreign partner (funds and receives pro rata).",
    "allocation_basis": "cumulative (one running balance) or scheduled (the yearly second reading).",
    "useful_life": "Whole years; used by the scheduled reading only.",
}
TERM_UNITS = {
    "deemed_rate": "% a year",
    "japan_share_before": "%",
    "japan_share_after": "%",
    "day_count": "text",
    "compounding": "text",
    "partner_share": "%",
    "allocation_basis": "text",
    "useful_life": "years",
}


@dataclass(frozen=True)
class Reading:
    """One reading's headline figures for the Summary's comparison table."""

    label: str
    waterfall: Waterfall | None
    note: str = ""


def _flows_in_date_order(spv: SpvInput, w: Waterfall) -> tuple[np.ndarray, list[dt.date], list[str]]:
    order = w.flows.order
    return order, [spv.dates[i] for i in order], [spv.notes[i] for i in order]


def _abs(sheet: str, ref: str) -> str:
    return f"'{sheet}'!{ref}"


def _col_range(sheet: str, col: str, first: int, last: int) -> str:
    return f"'{sheet}'!${col}${first}:${col}${last}"


def _define(wb: Workbook, name: str, sheet: str, ref: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=f"'{sheet}'!{ref}")


def _unit_text(text: str, unit: str) -> str:
    return text.replace("{unit}", unit)


def _row_table_header(ws: Worksheet, columns: Sequence[tuple[str, str, str, str | None]], unit: str) -> None:
    for i, (_, _header, unit_label, _fmt) in enumerate(columns, start=1):
        cell = ws.cell(row=UNITS_ROW, column=i, value=_unit_text(unit_label, unit))
        cell.font = NOTE_FONT
    write_header(ws, HEADER_ROW, [header for _, header, _, _ in columns])
    ws.row_dimensions[HEADER_ROW].height = 45


# --- the report -----------------------------------------------------------------------------------


@dataclass
class _Report:
    """What the sheet builders share: the workbook, the inputs, the results and where things are."""

    wb: Workbook
    spv: SpvInput
    terms: Terms
    w: Waterfall
    unit: str
    order: np.ndarray
    dates: list[dt.date]
    notes: list[str]
    refs: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.dates)

    @property
    def last(self) -> int:
        return FIRST + self.n - 1

    @property
    def audit_last(self) -> int:
        return AUDIT_FIRST + self.n - 1

    @property
    def n_periods(self) -> int:
        rate = self.terms.deemed_rate
        return len(rate.rates) if isinstance(rate, RateSchedule) else 1


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
        Bad inputs or terms; :class:`~xlspv.workbooks.files.OutputError` for the output path.

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
    say = progress or _quiet
    source = Path(input_path) if input_path is not None else spv.source
    path = check_output(out, force=force, inputs=[source])
    say("computing the waterfall")
    w = compute(spv.values, spv.dates, terms)
    readings = _readings(spv, terms, w)
    order, dates, notes = _flows_in_date_order(spv, w)
    report = _Report(Workbook(), spv, w.terms, w, unit, order, dates, notes)
    report.wb.remove(report.wb.active)
    say("writing the Inputs, Terms and Audit sheets")
    _inputs_sheet(report)
    _terms_sheet(report)
    _audit_sheet(report)
    say("writing the Summary, Waterfall, Schedule and Charts sheets")
    _summary_sheet(report, readings)
    _waterfall_sheet(report)
    schedule = next(
        (r.waterfall for r in readings if r.waterfall is not None and r.waterfall.schedule is not None), None
    )
    if schedule is not None:
        _schedule_sheet(report, schedule)
    _charts_sheet(report)
    master = add_checks(report.wb, _checks(report))
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
    elif importlib.util.find_spec("xlspv.scheduled") is None:
        readings.append(Reading(label, None, "not available in this version of xlspv"))
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


def _inputs_sheet(r: _Report) -> None:
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
    _row_table_header(ws, columns, r.unit)
    values = np.asarray(r.spv.values)[r.order]
    for i in range(r.n):
        row = FIRST + i
        ws.cell(row=row, column=1, value=int(r.order[i]) + 1).number_format = INTEGER
        style_input(ws.cell(row=row, column=2, value=r.dates[i]), DATE)
        style_input(ws.cell(row=row, column=3, value=float(values[i])), MONEY)
        style_input(write_text(ws, row, 4, r.notes[i]))
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
    r.refs["in_date"] = _col_range("Inputs", "B", FIRST, r.last)


def _terms_sheet(r: _Report) -> None:
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
        cell = ws.cell(row=row, column=2, value=value)
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
        ws.cell(row=row, column=4, value=TERM_UNITS[name])
        write_text(ws, row, 5, TERM_HELP[name])
        if name == "deemed_rate":
            schedule_rows.append(row)
        else:
            _define(r.wb, name, "Terms", f"$B${row}")
        row += 1
    last_term = row - 1
    ws.add_table(Table(displayName="Terms", ref=f"A{header}:E{last_term}", tableStyleInfo=TABLE_STYLE))
    if isinstance(r.terms.deemed_rate, RateSchedule):
        first, last = schedule_rows[0], schedule_rows[-1]
        _define(r.wb, "rate_dates", "Terms", f"$C${first}:$C${last}")
        _define(r.wb, "rate_values", "Terms", f"$B${first}:$B${last}")
    else:
        _define(r.wb, "deemed_rate", "Terms", f"$B${schedule_rows[0]}")

    row = last_term + 2
    ws.cell(row=row, column=1, value="Check tolerances").font = SUBTITLE_FONT
    row += 1
    write_header(ws, row, ["Name", "Value", "", "Unit", "Explanation"])
    tolerances = [
        (
            "tolerance",
            CHECK_TOLERANCE,
            "relative",
            "Money checks hold when |a - b| <= tolerance x (1 + |b|).",
        ),
        ("rate_tolerance", RATE_TOLERANCE, "rate", "Rate checks (XIRR) hold when |a - b| <= rate_tolerance."),
    ]
    for name, value, unit, text in tolerances:
        row += 1
        write_text(ws, row, 1, name)
        style_input(ws.cell(row=row, column=2, value=value), "0.0E+00")
        ws.cell(row=row, column=4, value=unit)
        write_text(ws, row, 5, text)
        _define(r.wb, name, "Terms", f"$B${row}")
    set_widths(ws, {"A": 22, "B": 14, "C": 14, "D": 10, "E": 90})
    ws.freeze_panes = f"B{header + 1}"
    print_setup(ws, title_rows=f"{header}:{header}", area=f"A1:E{row}")


# --- Audit ----------------------------------------------------------------------------------------


def _audit_row(row: int, periods: tuple[str, str], simple: str) -> dict[str, str]:
    """The formulas of one Audit row (the same in every row; ``row - 1`` is the row above)."""
    p = row - 1
    src = row - AUDIT_FIRST + FIRST  # the same cash flow's row on Inputs
    c = {key: f"{col}{row}" for key, col in A.items()}
    up = {key: f"{col}{p}" for key, col in A.items()}
    first_period, last_period = periods
    return {
        "step": f"={up['step']}+1",
        "input_row": f"=Inputs!A{src}",
        "date": f"=Inputs!B{src}",
        "prev": f"={up['date']}",
        "value": f"=Inputs!C{src}",
        "funding": f"=MAX(-{c['value']},0)",
        "cash": f"=MAX({c['value']},0)",
        "exp": f"=SUM({first_period}{row}:{last_period}{row})",
        "open_p": f"={up['close_p']}",
        "open_a": f"={up['close_a']}",
        "interest": f"={c['open_p']}*(EXP({c['exp']})-1)*(1-{simple})+{c['open_p']}*{c['exp']}*{simple}",
        "pre_p": f"={c['open_p']}+{c['interest']}*(1-{simple})",
        "pre_a": f"={c['open_a']}+{c['interest']}*{simple}",
        "owed": f"={c['pre_p']}+{c['pre_a']}",
        "f_fund": f"=--({c['value']}<0)",
        "f_open": f"=--({c['owed']}>0)",
        "f_before": f"=(1-{c['f_fund']})*{c['f_open']}*(japan_share_before*{c['cash']}<{c['owed']})",
        "f_thr": f"=(1-{c['f_fund']})*{c['f_open']}-{c['f_before']}",
        "f_after": f"=(1-{c['f_fund']})*(1-{c['f_open']})",
        "after_cash": f"={c['f_thr']}*MAX({c['cash']}-{c['owed']}/japan_share_before,0)"
        f"+{c['f_after']}*{c['cash']}",
        "japan": f"={c['f_before']}*japan_share_before*{c['cash']}+{c['f_thr']}*{c['owed']}"
        f"+japan_share_after*{c['after_cash']}",
        "us": f"={c['cash']}-{c['japan']}",
        "partner": f"=partner_share*{c['japan']}",
        "paid_a": f"={c['f_before']}*MIN({c['japan']},{c['pre_a']})+{c['f_thr']}*{c['pre_a']}",
        "paid_p": f"={c['f_before']}*({c['japan']}-{c['paid_a']})+{c['f_thr']}*{c['pre_p']}",
        "close_p": f"={c['pre_p']}+{c['funding']}-{c['paid_p']}",
        "close_a": f"={c['pre_a']}-{c['paid_a']}",
        "balance": f"={c['close_p']}+{c['close_a']}",
        "tier": f"=CHOOSE(1+{c['f_before']}+2*{c['f_thr']}+3*{c['f_after']},"
        '"funding","before","threshold","after")',
        "japan_flow": f"={c['japan']}-{c['funding']}",
        "last_thr": f"=MAX({up['last_thr']},{c['f_thr']}*{c['date']})",
    }


def _audit_sheet(r: _Report) -> None:
    ws = r.wb.create_sheet("Audit")
    n, first, last = r.n, AUDIT_FIRST, r.audit_last
    scalars_top = last + 3  # the conventions, flags and results block, below the rows
    labels_scalars = _audit_scalar_labels(r)
    periods_top = scalars_top + 1 + len(labels_scalars) + 2
    k = r.n_periods
    first_period = get_column_letter(PERIOD_COL)
    last_period = get_column_letter(PERIOD_COL + k - 1)
    rows_of = {key: scalars_top + 1 + i for i, (key, *_rest) in enumerate(labels_scalars)}
    s = {key: SCALAR_NAMES.get(key, f"$C${row}") for key, row in rows_of.items()}
    scalar_cells = {key: f"$C${row}" for key, row in rows_of.items()}
    p_rows = {key: periods_top + 1 + i for i, key in enumerate(("period", "starts", "ends", "rate", "g"))}

    write_title(
        ws,
        "Audit: the waterfall as native formulas",
        "The cumulative reading recomputed from Inputs and Terms, one row per cash flow in date order "
        "(no add-in). Flags (1/0) choose each row's rule. Conventions, flags and results: row "
        f"{scalars_top}; rate periods: row {periods_top}.",
    )
    _row_table_header(ws, AUDIT_COLUMNS, r.unit)
    for j in range(k):
        col = PERIOD_COL + j
        ws.cell(row=UNITS_ROW, column=col, value="exponent").font = NOTE_FONT
    write_header(ws, HEADER_ROW, [f"Accrual in rate period {j + 1}" for j in range(k)], col=PERIOD_COL)

    # Opening row: nothing owed before the first cash flow.
    opening = AUDIT_OPENING
    write_text(ws, opening, 1, "Opening (before the first cash flow)")
    ws.cell(row=opening, column=2, value=0).number_format = INTEGER
    ws[f"{A['date']}{opening}"] = f"={s['first_date']}"
    ws[f"{A['date']}{opening}"].number_format = DATE
    for key in ("close_p", "close_a", "balance", "last_thr"):
        ws[f"{A[key]}{opening}"] = 0
    ws[f"{A['last_thr']}{opening}"].number_format = DATE_OR_DASH

    formats = {key: fmt for key, _h, _u, fmt in AUDIT_COLUMNS}
    for i in range(n):
        row = first + i
        write_text(ws, row, 1, r.notes[i])
        for key, formula in _audit_row(row, (first_period, last_period), s["simple"]).items():
            cell = ws[f"{A[key]}{row}"]
            cell.value = formula
            if formats[key]:
                cell.number_format = formats[key]
        for j in range(k):
            col = get_column_letter(PERIOD_COL + j)
            start = f"MAX(${A['prev']}{row},{col}${p_rows['starts']})"
            end = f"MIN(${A['date']}{row},{col}${p_rows['ends']})"
            ws[f"{col}{row}"] = (
                f"=({end}>{start})*{col}${p_rows['g']}*(({end}-{start})*{s['per_day']}"
                f"+{s['thirty']}*DAYS360({start},{end},FALSE)/360)"
            )
            ws[f"{col}{row}"].number_format = EXPONENT

    # Conventions, flags and results.
    rng = {key: f"${col}${first}:${col}${last}" for key, col in A.items()}
    formulas = _audit_scalar_formulas(r, s, rng, p_rows, first_period, last_period)
    ws.cell(row=scalars_top - 1, column=1, value="Conventions, flags and results").font = SUBTITLE_FONT
    write_header(ws, scalars_top, ["Item", "Unit", "Value"])
    for key, label, unit, fmt in labels_scalars:
        row = rows_of[key]
        write_text(ws, row, 1, label)
        ws.cell(row=row, column=2, value=_unit_text(unit, r.unit))
        cell = ws.cell(row=row, column=3, value=formulas[key])
        cell.number_format = fmt
        r.refs[f"audit_{key}"] = _abs("Audit", scalar_cells[key])
        if key in SCALAR_NAMES:
            _define(r.wb, SCALAR_NAMES[key], "Audit", scalar_cells[key])

    # Rate periods: one column each, above nothing but their own rows' accruals.
    ws.cell(
        row=periods_top - 1, column=1, value=f"Rate periods (one column each, from column {first_period})"
    ).font = SUBTITLE_FONT
    write_header(ws, periods_top, ["Item", "Unit"])
    period_rows = [
        ("period", "Rate period", "#", INTEGER),
        ("starts", "Starts (rate in force from)", "date", DATE),
        ("ends", "Ends (next period's start, or the last cash-flow date)", "date", DATE),
        ("rate", "Deemed rate", "% a year", PERCENT),
        ("g", "Accrual exponent a year (m ln(1 + r/m); r when continuous or simple)", "exponent", EXPONENT),
    ]
    flat = not isinstance(r.terms.deemed_rate, RateSchedule)
    for key, label, unit, _fmt in period_rows:
        write_text(ws, p_rows[key], 1, label)
        ws.cell(row=p_rows[key], column=2, value=unit)
    for j in range(k):
        col = get_column_letter(PERIOD_COL + j)
        nxt = get_column_letter(PERIOD_COL + j + 1)
        prev = get_column_letter(PERIOD_COL + j - 1)
        pr = p_rows
        cells = {
            "period": "=1" if j == 0 else f"={prev}{pr['period']}+1",
            "starts": f"={s['first_date']}" if flat else f"=INDEX(rate_dates,{col}{pr['period']})",
            "ends": f"=IF(ISNUMBER({nxt}{pr['starts']}),{nxt}{pr['starts']},{s['last_date']})",
            "rate": "=deemed_rate" if flat else f"=INDEX(rate_values,{col}{pr['period']})",
            "g": f"=IF({s['m']}>0,{s['m']}*LN(1+{col}{pr['rate']}/{s['m']}),{col}{pr['rate']})",
        }
        for key, _label, _unit, fmt in period_rows:
            cell = ws[f"{col}{pr[key]}"]
            cell.value = cells[key]
            cell.number_format = fmt
    r.refs["audit_rates"] = _abs("Audit", f"${first_period}${p_rows['rate']}:${last_period}${p_rows['rate']}")
    r.refs["audit_first"] = str(first)
    r.refs["audit_last"] = str(last)

    widths = {A["label"]: 34}
    for key, col in A.items():
        if key != "label":
            widths[col] = 12
    for j in range(k):
        widths[get_column_letter(PERIOD_COL + j)] = 14
    set_widths(ws, widths)
    ws.freeze_panes = f"{A['prev']}{AUDIT_OPENING}"
    last_col = get_column_letter(PERIOD_COL + k - 1)
    print_setup(ws, title_rows=f"{UNITS_ROW}:{HEADER_ROW}", area=f"A1:{last_col}{p_rows['g']}")


#: Audit scalars that formulas use by name (defined names on the Audit sheet's value cells).
SCALAR_NAMES = {
    "per_day": "actual_day_fraction",
    "thirty": "thirty_360",
    "m": "periods_a_year",
    "simple": "simple_interest",
    "first_date": "first_date",
    "last_date": "last_date",
}


def _audit_scalar_labels(r: _Report) -> list[tuple[str, str, str, str]]:
    return [
        (
            "per_day",
            "Year fraction per actual day (ACT/365F: 1/365; ACT/360: 1/360; 30/360: 0)",
            "1/day",
            "0.000000000",
        ),
        ("thirty", "30/360 in use (DAYS360 US method, / 360)", "flag", FLAG),
        ("day_count_ok", "Day count recognised", "flag", FLAG),
        ("m", "Compounding periods a year (0: continuous or simple)", "#/year", INTEGER),
        ("simple", "Simple interest (tracked apart from principal, paid first)", "flag", FLAG),
        ("compounding_ok", "Compounding recognised", "flag", FLAG),
        ("first_date", "First cash-flow date", "date", DATE),
        ("last_date", "Last cash-flow date", "date", DATE),
        ("sorted", "Inputs in date order", "flag", FLAG),
        ("threshold", "Threshold date (#N/A: not reached)", "date", DATE),
        ("unrecovered", "Unrecovered deemed allocation (last balance)", "{unit}", MONEY),
        ("after_cash", "Cash split at the after-shares (total)", "{unit}", MONEY),
        ("cash", "Distributable cash (total)", "{unit}", MONEY),
        ("xirr_japan", "Japan's XIRR over this sheet's flows (#NUM!: none)", "%", PERCENT),
        ("flat", "Flat deemed rate (every rate period's rate equal)", "flag", FLAG),
        (
            "tie",
            "The spec's tie applies (ACT/365F, annual, flat rate, threshold on the last date, "
            "nothing split after)",
            "flag",
            FLAG,
        ),
    ]


def _audit_scalar_formulas(
    r: _Report, s: dict[str, str], rng: dict[str, str], p_rows: dict[str, int], first_p: str, last_p: str
) -> dict[str, str]:
    dates = r.refs["in_date"].split("!")[1]
    if r.n > 1:
        earlier = f"Inputs!$B${FIRST + 1}:$B${r.last}"
        later = f"Inputs!$B${FIRST}:$B${r.last - 1}"
        sorted_formula = f"=--(SUMPRODUCT(--({earlier}<{later}))=0)"
    else:
        sorted_formula = f"=--(COUNT(Inputs!{dates})=1)"
    last = r.audit_last
    return {
        "per_day": '=(day_count="ACT/365F")/365+(day_count="ACT/360")/360',
        "thirty": '=--(day_count="30/360")',
        "day_count_ok": '=--((day_count="ACT/365F")+(day_count="ACT/360")+(day_count="30/360")=1)',
        "m": '=(compounding="annual")*1+(compounding="semiannual")*2+(compounding="quarterly")*4'
        '+(compounding="monthly")*12',
        "simple": '=--(compounding="simple")',
        "compounding_ok": f'=--(({s["m"]}>0)+(compounding="continuous")+(compounding="simple")=1)',
        "first_date": f"=MIN(Inputs!{dates})",
        "last_date": f"=MAX(Inputs!{dates})",
        "sorted": sorted_formula,
        "threshold": f"=IF(AND({A['balance']}{last}=0,{A['last_thr']}{last}>0),{A['last_thr']}{last},NA())",
        "unrecovered": f"={A['balance']}{last}",
        "after_cash": f"=SUM({rng['after_cash']})",
        "cash": f"=SUM({rng['cash']})",
        "xirr_japan": f"=XIRR({rng['japan_flow']},{rng['date']})",
        "flat": f"=--(MAX(${first_p}${p_rows['rate']}:${last_p}${p_rows['rate']})"
        f"=MIN(${first_p}${p_rows['rate']}:${last_p}${p_rows['rate']}))",
        "tie": f'=(day_count="ACT/365F")*({s["m"]}=1)*{s["flat"]}'
        f"*IFERROR(--({s['threshold']}={s['last_date']}),0)"
        f"*({s['after_cash']}<=tolerance*(1+{s['cash']}))",
    }


# --- outputs --------------------------------------------------------------------------------------


def _fmt_or_na(ws: Worksheet, row: int, col: int, value: Any, fmt: str, na: str = "n/a") -> None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        ws.cell(row=row, column=col, value=na)
    else:
        ws.cell(row=row, column=col, value=value).number_format = fmt


def _summary_sheet(r: _Report, readings: list[Reading]) -> None:
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
        ws.cell(row=row, column=2, value=unit)
        _fmt_or_na(ws, row, 3, value, fmt, na)
        r.refs[f"summary_{key}"] = _abs("Summary", f"$C${row}")
        row += 1

    row += 1
    ws.cell(row=row, column=1, value="Terms used").font = SUBTITLE_FONT
    row += 1
    write_header(ws, row, ["Term", "Unit", "Value", "Effective from"])
    for name, value, effective in term_rows_of(r.terms):
        row += 1
        write_text(ws, row, 1, name)
        ws.cell(row=row, column=2, value=TERM_UNITS[name])
        cell = write_text(ws, row, 3, "" if value is None else value)
        if name in ("deemed_rate", "japan_share_before", "japan_share_after", "partner_share"):
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
        ws.cell(row=row, column=2, value=unit)
        for j, (rd, summ) in enumerate(zip(readings, summaries, strict=True)):
            if summ is None:
                write_text(ws, row, 3 + j, rd.note)
            else:
                _fmt_or_na(ws, row, 3 + j, get(summ), fmt, na)
    set_widths(ws, {"A": 58, "B": 10, "C": 22, "D": 30})
    ws.freeze_panes = "A6"
    print_setup(ws, title_rows="5:5", area=f"A1:D{row}")


def _waterfall_sheet(r: _Report) -> None:
    ws = r.wb.create_sheet("Waterfall")
    basis = r.terms.allocation_basis
    write_title(
        ws,
        "Waterfall",
        f"Computed by xlspv ({basis} reading); values, one row per cash flow in date order ('Input row' is "
        f"its place in the input). Money in {r.unit}.",
    )
    _row_table_header(ws, WATERFALL_COLUMNS, r.unit)
    w, order = r.w, r.order
    columns = {
        "interest": w.interest[order],
        "japan": w.japan[order],
        "us": w.us[order],
        "partner": w.partner[order],
        "balance": w.balance[order],
    }
    values = np.asarray(r.spv.values)[order]
    tiers = w.tiers[order]
    formats = {key: fmt for key, _h, _u, fmt in WATERFALL_COLUMNS}
    for i in range(r.n):
        row = FIRST + i
        cells: dict[str, Any] = {
            "step": i + 1,
            "input_row": int(order[i]) + 1,
            "date": r.dates[i],
            "value": float(values[i]),
            "tier": str(tiers[i]),
            **{key: float(col[i]) for key, col in columns.items()},
        }
        write_text(ws, row, 1, r.notes[i])
        for key, value in cells.items():
            cell = ws[f"{W[key]}{row}"]
            cell.value = value
            if formats[key]:
                cell.number_format = formats[key]
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


def _schedule_sheet(r: _Report, w: Waterfall) -> None:
    ws = r.wb.create_sheet("Schedule")
    table = w.schedule
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
    _row_table_header(ws, columns, r.unit)
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


def _charts_sheet(r: _Report) -> None:
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
    dates = _col_range("Waterfall", W["date"], FIRST, r.last)
    row = header
    for year in years:
        row += 1
        ws.cell(row=row, column=1, value=year).number_format = INTEGER
        for j, (_label, col, minus) in enumerate(parties, start=2):
            amount = _col_range("Waterfall", col, FIRST, r.last)
            if minus:
                amount = f"({amount}-{_col_range('Waterfall', minus[1:], FIRST, r.last)})"
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
    bars.y_axis.title = r.unit
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
    balance = _col_range("Waterfall", W["balance"], FIRST, r.last)
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
    line.y_axis.title = r.unit
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


# --- checks ---------------------------------------------------------------------------------------


def _tie_applies(r: _Report) -> bool:
    """Whether the spec's XIRR tie holds for these flows (decides the check's label only)."""
    t, w = r.terms, r.w
    if t.day_count != "ACT/365F" or t.compounding != "annual" or t.flat_rate is None:
        return False
    if w.threshold_date is None or w.threshold_date != max(r.dates) or "after" in set(w.tiers):
        return False
    i = int(r.order[-1])
    cash = float(w.flows.values[i])
    return abs(w.japan[i] - t.japan_share_before * cash) <= CHECK_TOLERANCE * (1 + abs(cash))


def _checks(r: _Report) -> list[tuple[str, str]]:
    first, last = FIRST, r.last
    a_first, a_last = AUDIT_FIRST, r.audit_last
    ref = r.refs
    wf = {key: _col_range("Waterfall", col, first, last) for key, col in W.items()}
    au = {key: _col_range("Audit", col, a_first, a_last) for key, col in A.items()}
    cumulative = 'allocation_basis="cumulative"'
    scheduled_note = (
        "" if r.terms.allocation_basis == "cumulative" else " (n/a: the scheduled reading has no Audit)"
    )

    last_balance = _abs("Waterfall", f"${W['balance']}${last}")
    japan_sum, us_sum = f"SUM({wf['japan']})", f"SUM({wf['us']})"

    def close(x: str, y: str) -> str:
        return f"ABS({x}-{y})<=tolerance*(1+ABS({y}))"

    checks = [
        ("Inputs are in date order (the Audit processes the rows as listed)", f"={ref['audit_sorted']}=1"),
        ("Day count is ACT/365F, ACT/360 or 30/360", f"={ref['audit_day_count_ok']}=1"),
        (
            "Compounding is annual, semiannual, quarterly, monthly, continuous or simple",
            f"={ref['audit_compounding_ok']}=1",
        ),
        (
            "Shares are in [0, 1] and japan_share_before is above 0",
            "=AND(japan_share_before>0,japan_share_before<=1,japan_share_after>=0,japan_share_after<=1,"
            "partner_share>=0,partner_share<=1)",
        ),
    ]
    if isinstance(r.terms.deemed_rate, RateSchedule):
        checks.append(
            (
                "The deemed-rate schedule starts on or before the first cash flow",
                f"=MIN(rate_dates)<={ref['audit_first_date']}",
            )
        )
    checks += [
        (
            "Each row's parts add up to the cash distributed (Waterfall: Japan + US = distributable cash)",
            f"=SUMPRODUCT(--(ABS({wf['japan']}+{wf['us']}-({wf['value']}>0)*{wf['value']})"
            f">tolerance*(1+ABS({wf['value']}))))=0",
        ),
        (
            "Partner payouts are partner_share of Japan's (Waterfall)",
            f"=SUMPRODUCT(--(ABS({wf['partner']}-partner_share*{wf['japan']})>tolerance*(1+ABS({wf['japan']}))))=0",
        ),
    ]
    for key, label in (
        ("interest", "deemed interest"),
        ("japan", "Japan"),
        ("us", "US"),
        ("partner", "partner"),
        ("balance", "balance"),
    ):
        checks.append(
            (
                f"Audit equals Waterfall: {label}, every row, within tolerance{scheduled_note}",
                f"=IF({cumulative},SUMPRODUCT(--(ABS({au[key]}-{wf[key]})>tolerance*(1+ABS({wf[key]}))))=0,TRUE)",
            )
        )
    checks += [
        (
            f"Audit equals Waterfall: tier, every row{scheduled_note}",
            f"=IF({cumulative},SUMPRODUCT(--({au['tier']}<>{wf['tier']}))=0,TRUE)",
        ),
        (
            "Unrecovered deemed allocation (Summary) equals the last balance (Audit; Waterfall under the "
            "scheduled reading)",
            f"=IF({cumulative},{close(ref['summary_unrecovered'], ref['audit_unrecovered'])},"
            f"{close(ref['summary_unrecovered'], last_balance)})",
        ),
        (
            f"Threshold date (Summary) equals the Audit's{scheduled_note}",
            f"=IF({cumulative},IF(ISNA({ref['audit_threshold']}),ISTEXT({ref['summary_threshold']}),"
            f"{ref['summary_threshold']}={ref['audit_threshold']}),TRUE)",
        ),
        (
            "Totals (Summary) equal the Waterfall's sums: Japan and US received",
            f"=AND({close(ref['summary_japan_received'], japan_sum)},"
            f"{close(ref['summary_us_received'], us_sum)})",
        ),
        (
            f"Japan's XIRR (Summary) equals XIRR over the Audit's Japan flows{scheduled_note}",
            f"=IF({cumulative},IF(ISNUMBER({ref['summary_xirr_japan']}),"
            f"IFERROR(ABS({ref['audit_xirr_japan']}-{ref['summary_xirr_japan']})<=rate_tolerance,FALSE),"
            f"ISERROR({ref['audit_xirr_japan']})),TRUE)",
        ),
    ]
    tie = (
        "Japan's XIRR equals the deemed rate where the spec's tie applies (ACT/365F, annual, flat rate, "
        "threshold cleared exactly on the last date)"
    )
    if not _tie_applies(r):
        tie += ": n/a for these flows and terms"
    rate = ref["audit_rates"].split(":")[0]
    checks.append(
        (tie, f"=IF({ref['audit_tie']}=1,ABS({ref['audit_xirr_japan']}-{rate})<=rate_tolerance,TRUE)")
    )
    return checks
