"""One look for every generated workbook, after the FAST Standard and the ICAEW Financial Modelling Code.

Inputs are pale yellow with a blue font and nothing else is; money has thousands separators, negatives
in parentheses and a dash for zero; percentages show two decimals; dates are dates; every sheet has a
frozen label/time intersection and a print set-up (landscape, fit to width, repeated titles, footer).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from .. import __version__
from .ooxml import write_fonts_in_schema_order
from .package import fit_cell_text

write_fonts_in_schema_order()  # before any workbook collects its fonts: see xlspv/workbooks/ooxml.py

MONEY = '#,##0.0_);(#,##0.0);"-"_)'
MONEY_PRECISE = '#,##0.000000_);(#,##0.000000);"-"_)'
PERCENT = '0.00%;(0.00%);"-"'
DATE = "yyyy-mm-dd"
MULTIPLE = '0.00"x"'
YEARS = '0.00" yrs"'
INTEGER = "0"

INPUT_FILL = PatternFill("solid", start_color="FFFFF2CC", end_color="FFFFF2CC")
INPUT_FONT = Font(color="FF0000FF")
HEADER_FILL = PatternFill("solid", start_color="FF1F3864", end_color="FF1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFFFF")
TITLE_FONT = Font(bold=True, size=14)
SUBTITLE_FONT = Font(bold=True, size=11)
NOTE_FONT = Font(italic=True, color="FF595959")
CHECK_OK_FILL = PatternFill("solid", start_color="FFE2EFDA", end_color="FFE2EFDA")
THIN = Side(style="thin", color="FFBFBFBF")
HEADER_BORDER = Border(bottom=Side(style="medium", color="FF1F3864"))


def style_input(cell: Any, number_format: str | None = None) -> None:
    """Mark a cell as an input (pale yellow fill, blue font)."""
    cell.fill = INPUT_FILL
    cell.font = INPUT_FONT
    if number_format:
        cell.number_format = number_format


def write_header(ws: Worksheet, row: int, labels: Sequence[str | float], col: int = 1) -> None:
    """A table header row: bold white on dark blue, wrapped (a number label, e.g. a rate, stays a number)."""
    for offset, label in enumerate(labels):
        cell = write_text(ws, row, col + offset, label)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def write_title(ws: Worksheet, title: str, subtitle: str | None = None) -> None:
    """Sheet title in A1 and a one-line description in A2."""
    write_text(ws, 1, 1, title).font = TITLE_FONT
    if subtitle:
        write_text(ws, 2, 1, subtitle).font = NOTE_FONT


def print_setup(ws: Worksheet, *, title_rows: str | None = None, area: str | None = None) -> None:
    """Landscape, fit to one page wide, repeated title rows, footer with version and print date.

    The print area is ``area``, else the sheet's used range (its streamed rows included); call it
    after the sheet's rows are written or registered.
    """
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows
    # A streamed sheet's used range counts the rows it streams at save time (.streamed).
    dimensions = getattr(ws.parent, "dimensions", None)
    ws.print_area = area or (dimensions(ws) if callable(dimensions) else ws.dimensions)
    ws.oddFooter.left.text = f"xlspv {__version__}"
    ws.oddFooter.center.text = "&A"
    ws.oddFooter.right.text = "Printed &D  Page &P of &N"


def set_widths(ws: Worksheet, widths: Mapping[str, float]) -> None:
    for column, width in widths.items():
        ws.column_dimensions[column].width = width


#: Control characters a workbook cannot hold (XML 1.0 forbids them; openpyxl refuses them), each shown
#: as its Unicode control picture instead (U+2400 + code: BEL is written as "\u2407").
_CONTROL_PICTURES = {code: 0x2400 + code for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))}
# Characters XML 1.0 cannot carry at all (a workbook holding one is not well-formed: Excel offers to
# repair it): lone surrogates (only the Python API makes them) and the non-characters U+FFFE, U+FFFF.
_CONTROL_PICTURES.update({code: 0xFFFD for code in (*range(0xD800, 0xE000), 0xFFFE, 0xFFFF)})
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def shown_text(text: str) -> str:
    """``text`` as a cell can hold it: control characters as their visible control pictures, and the
    characters XML cannot carry (U+FFFE, U+FFFF, lone surrogates) as U+FFFD.

    Inputs with control characters are refused when read (:mod:`xlspv.cells`); what reaches a writer
    this way is a user's option value or a file name (``--unit``, an input called ``a\x07.csv``), which
    is cleaned so, never refused after the work is done.

    >>> shown_text("bell\x07")
    'bell\u2407'
    """
    return text.translate(_CONTROL_PICTURES) if _NOT_XML.search(text) else text


def write_text(ws: Worksheet, row: int, column: int, value: Any) -> Any:
    """Write ``value``; a string is always a string cell, never a formula.

    The one rule for text from users (notes, names, units, file names, option values, terms) in every
    workbook xlspv writes: openpyxl turns any string starting with ``=`` into a formula, so the cell is
    typed ``s`` after the value is set. Strings starting with ``+``, ``-``, ``@``, a tab or a carriage
    return are strings to openpyxl already and stay so. The streamed rows (:mod:`.streamed`) and
    write-only sheets (:func:`text_cell`) follow the same rule.
    """
    cell = ws.cell(row=row, column=column)
    cell.value = fit_cell_text(shown_text(value))[0] if isinstance(value, str) else value  # cut, said
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def text_cell(ws: Any, value: Any) -> Any:
    """For a write-only sheet's ``append``: ``value``, a string always typed as text.

    openpyxl reads only a leading ``=`` as a formula, so only such a string needs a typed cell (a new
    one each time: ``append`` reuses the cell object it is given for the row's next values).
    """
    if not isinstance(value, str):
        return value
    value = shown_text(value)
    if not value.startswith("="):
        return value
    cell = WriteOnlyCell(ws, value)
    cell.data_type = "s"
    return cell
