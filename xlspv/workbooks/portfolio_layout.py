"""What the portfolio report's sheet builders share: rows, columns, tolerances and table helpers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from .streamed import Column, StreamedWorkbook
from .style import DATE, INTEGER, MONEY, MULTIPLE, NOTE_FONT, PERCENT, YEARS, write_header, write_text

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


class Columns:
    """Column letters by key for a sheet laid out from a column spec."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.letter = {key: get_column_letter(i + 1) for i, key in enumerate(keys)}

    def __getitem__(self, key: str) -> str:
        return self.letter[key]


def clean(value: Any) -> Any:
    """A value openpyxl can write: NaN and NaT become blank, numpy scalars Python ones."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def add_table(
    ws: Worksheet, name: str, first_col: int, last_col: int, header_row: int, last_row: int
) -> None:
    if last_row <= header_row:
        return
    ref = f"{get_column_letter(first_col)}{header_row}:{get_column_letter(last_col)}{last_row}"
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TABLE_STYLE
    ws.add_table(table)


def table_header(ws: Worksheet, row: int, labels: Sequence[Any]) -> None:
    """A table's header row, tall enough for three wrapped lines."""
    write_header(ws, row, list(labels))
    ws.row_dimensions[row].height = 45


def units_row(ws: Worksheet, row: int, units: Sequence[str], col: int = 1) -> None:
    for offset, unit in enumerate(units):
        cell = write_text(ws, row, col + offset, unit)
        cell.font = NOTE_FONT
        cell.alignment = Alignment(horizontal="center")


def fill_rows(ws: Worksheet, first_row: int, columns: Sequence[tuple[Any, str | None, str]], n: int) -> None:
    """Stream ``n`` rows from ``first_row``: each column is (values or formula template, number format,
    kind), written when the workbook is saved (:meth:`.streamed.StreamedWorkbook.stream_columns`).

    Values are a list, a numpy array or a pandas Series of ``n`` (None, NaN and NaT: blank cells); a
    formula template is a string starting with ``=`` containing ``{r}`` (the row number): one formula
    copied down. The kind types every cell of the column (:data:`.streamed.KINDS`): ``"s"`` text (always
    a string cell, whatever it starts with), ``"n"`` number, ``"d"`` date, ``"f"`` formula.
    """
    wb = ws.parent
    if not isinstance(wb, StreamedWorkbook):
        raise TypeError("fill_rows streams its rows: the sheet must belong to a StreamedWorkbook")
    data = [values.to_numpy() if hasattr(values, "to_numpy") else values for values, _fmt, _kind in columns]
    wb.stream_columns(ws, first_row, n, [Column(kind, fmt) for _v, fmt, kind in columns], data)


#: Number formats by unit label ("$" = the money unit).
FORMATS = {
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

#: Cell kinds by unit label (:data:`.streamed.KINDS`): text and flags are strings, dates dates.
KINDS_BY_UNIT = {"text": "s", "flag": "s", "date": "d"}


def kind_of(unit: str) -> str:
    """The streamed cell kind of a column of ``unit`` (a number unless text, flag or date)."""
    return KINDS_BY_UNIT.get(unit, "n")
