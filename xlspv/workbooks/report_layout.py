"""What the report's sheet builders share: the layout, the tolerances, the column lists, the helpers.

The report (:mod:`.report`), its Audit sheet (:mod:`.audit`) and its Checks (:mod:`.report_checks`)
all place cells by these rows and columns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ..terms import RateSchedule, Terms
from ..waterfall import Waterfall
from .reader import SpvInput
from .style import (
    DATE,
    INTEGER,
    MONEY,
    NOTE_FONT,
    write_header,
)

#: Tolerances of the Checks sheet (inputs on Terms): relative for money, absolute for rates.
CHECK_TOLERANCE = 1e-9
RATE_TOLERANCE = 1e-8
EXPONENT = "0.000000000"
DATE_OR_DASH = f'{DATE};;"-"'
FLAG = "0"
TABLE_STYLE = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)

# --- layout ---------------------------------------------------------------------------------------

UNITS_ROW, HEADER_ROW = 5, 6  # every row table: units above the header
FIRST = HEADER_ROW + 1  # first data row of Inputs and Waterfall
AUDIT_OPENING = HEADER_ROW + 1  # the Audit's opening row (balances before the first cash flow)
AUDIT_FIRST = AUDIT_OPENING + 1

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


def flows_in_date_order(spv: SpvInput, w: Waterfall) -> tuple[np.ndarray, list[dt.date], list[str]]:
    order = w.flows.order
    return order, [spv.dates[i] for i in order], [spv.notes[i] for i in order]


def abs_ref(sheet: str, ref: str) -> str:
    return f"'{sheet}'!{ref}"


def col_range(sheet: str, col: str, first: int, last: int) -> str:
    return f"'{sheet}'!${col}${first}:${col}${last}"


def define(wb: Workbook, name: str, sheet: str, ref: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=f"'{sheet}'!{ref}")


def unit_text(text: str, unit: str) -> str:
    return text.replace("{unit}", unit)


def row_table_header(ws: Worksheet, columns: Sequence[tuple[str, str, str, str | None]], unit: str) -> None:
    for i, (_, _header, unit_label, _fmt) in enumerate(columns, start=1):
        cell = ws.cell(row=UNITS_ROW, column=i, value=unit_text(unit_label, unit))
        cell.font = NOTE_FONT
    write_header(ws, HEADER_ROW, [header for _, header, _, _ in columns])
    ws.row_dimensions[HEADER_ROW].height = 45


# --- the report -----------------------------------------------------------------------------------


@dataclass
class Report:
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
