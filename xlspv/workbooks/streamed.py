"""Workbooks whose long row tables are streamed to the file at save time, one row at a time.

A report's per-row sheets (Inputs, Audit, Waterfall, Schedule) hold one row per cash flow: at 100,000
rows a normal openpyxl workbook keeps about 5 million cell objects alive (2.5 GB). openpyxl's
write-only mode streams rows instead, but a write-only workbook cannot hold normal sheets, and every
sheet must then be written strictly top to bottom.

:class:`StreamedWorkbook` keeps both: it is a normal openpyxl workbook (so every sheet keeps its
styles, tables, validations, conditional formats, charts, names, frozen panes and print set-up, as the
tests pin them), and :meth:`StreamedWorkbook.stream_rows` registers a sheet's row block as a *body*:
a function giving row ``i``'s values and one fixed style per column. Nothing of the body is held in
memory; at save time openpyxl's own sheet writer (the one its write-only mode uses, writing to a
temporary file) asks for the rows in order, and each is generated, written and dropped. Memory is
the data (the arrays the function reads) plus one row.

Cells of a body are typed by their column, never guessed from the value: a text column writes every
value as a string (so user text starting with ``=`` stays text), a formula column writes formulas.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

import et_xmlfile
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.constants import SHEET_MAIN_NS

from ..errors import SpvError
from .package import EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS

#: Excel's grid: rows and columns a sheet can hold (one definition: :mod:`.package`).
MAX_ROWS, MAX_COLUMNS = EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS

#: Cell kinds of a body column: number, date, text (always a string), formula.
KINDS = ("n", "d", "s", "f")


@dataclass(frozen=True)
class Column:
    """One column of a streamed row block: its kind and its (fixed) style."""

    kind: str
    number_format: str | None = None
    font: Font | None = None
    fill: PatternFill | None = None


@dataclass
class Body:
    """Rows ``first .. first + n - 1`` of a sheet, generated at save time by ``values(i)``."""

    first: int
    n: int
    columns: Sequence[Column | None]
    values: Callable[[int], Sequence[Any]]
    first_col: int = 1

    @property
    def last_col(self) -> int:
        return self.first_col + len(self.columns) - 1


class StreamedWorkbook(Workbook):
    """A normal openpyxl workbook whose registered row blocks are streamed when it is saved."""

    def __init__(self) -> None:
        super().__init__()
        self._bodies: dict[int, list[Body]] = {}

    def stream_rows(
        self,
        ws: Worksheet,
        first: int,
        n: int,
        columns: Sequence[Column | None],
        values: Callable[[int], Sequence[Any]],
        *,
        first_col: int = 1,
    ) -> None:
        """Write ``n`` rows from row ``first`` of ``ws`` when the workbook is saved.

        Parameters
        ----------
        ws : Worksheet
            A sheet of this workbook.
        first : int
            The first row (1-based) of the block.
        n : int
            Number of rows.
        columns : sequence of Column or None
            One per column from ``first_col``; ``None`` leaves that column empty.
        values : callable
            ``values(i)`` (``i`` from 0) returns the row's values, one per column; ``None`` skips a cell.
        first_col : int
            The block's first column (1-based).

        Raises
        ------
        SpvError
            The block would pass Excel's last row or column.
        """
        if first + n - 1 > MAX_ROWS or first_col + len(columns) - 1 > MAX_COLUMNS:
            raise SpvError(
                f"sheet {ws.title}: {n:,} rows from row {first} would pass Excel's grid "
                f"({MAX_ROWS:,} rows, {MAX_COLUMNS:,} columns); split the input."
            )
        bodies = self._bodies.setdefault(id(ws), [])
        if any(first <= b.first + b.n - 1 and b.first <= first + n - 1 for b in bodies):
            raise ValueError(f"sheet {ws.title}: row blocks may not overlap")
        bodies.append(Body(first, n, columns, values, first_col))

    def save(self, filename: str | Path) -> None:  # type: ignore[override]
        """Save like openpyxl's ``Workbook.save``, streaming the registered row blocks."""
        for ws in self.worksheets:
            if id(ws) in self._bodies:
                _name_table_columns(ws)
        archive = ZipFile(filename, "w", ZIP_DEFLATED, allowZip64=True)
        self.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
        _StreamingExcelWriter(self, archive).save()


def _name_table_columns(ws: Worksheet) -> None:
    """Name each table's columns from its header cells now (openpyxl would read the whole range)."""
    from openpyxl.utils.cell import range_boundaries

    for table in ws.tables.values():
        if table.tableColumns:
            continue
        table._initialise_columns()
        min_col, min_row, _max_col, _max_row = range_boundaries(table.ref)
        for offset, column in enumerate(table.tableColumns):
            cell = ws._cells.get((min_row, min_col + offset))
            if cell is not None and cell.value is not None:
                column.name = str(cell.value)


class _StreamingExcelWriter(ExcelWriter):  # type: ignore[misc]
    """openpyxl's package writer; a sheet with bodies goes through :class:`_BodyWriter`."""

    def write_worksheet(self, ws: Any) -> None:
        bodies = self.workbook._bodies.get(id(ws))
        if not bodies:
            super().write_worksheet(ws)
            return
        # openpyxl 3.1's ExcelWriter.write_worksheet, with the sheet writer swapped.
        from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing

        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _BodyWriter(ws, bodies)
        writer.write()
        ws._rels = writer._rels
        self._archive.write(writer.out, ws.path[1:])
        self.manifest.append(ws)
        writer.cleanup()


class _BodyWriter(WorksheetWriter):  # type: ignore[misc]
    """openpyxl's sheet writer; the bodies' rows are written as XML text between the stored rows."""

    def __init__(self, ws: Any, bodies: list[Body]) -> None:
        super().__init__(ws)
        self.bodies = sorted(bodies, key=lambda b: b.first)

    def get_stream(self) -> Iterator[Any]:
        # openpyxl's stream, always on et_xmlfile (lxml, when installed, writes no raw text).
        with et_xmlfile.xmlfile(self.out) as xf, xf.element("worksheet", xmlns=SHEET_MAIN_NS):
            try:
                while True:
                    el = yield
                    if el is True:
                        yield xf
                    elif el is not None:
                        xf.write(el)
            except GeneratorExit:
                pass

    def write_dimensions(self) -> None:
        cells = self.ws._cells
        rows = [r for r, _c in cells] + [b.first + b.n - 1 for b in self.bodies if b.n] + [1]
        cols = [c for _r, c in cells] + [b.last_col for b in self.bodies] + [1]
        self.xf.send(SheetDimension(f"A1:{get_column_letter(max(cols))}{max(rows)}").to_tree())

    def write_rows(self) -> None:
        xf = self.xf.send(True)
        raw = xf._file  # et_xmlfile's writer: text written as it is
        stored: dict[int, list[Any]] = {}
        for (row, _col), cell in sorted(self.ws._cells.items()):
            stored.setdefault(row, []).append(cell)
        for row in self.ws.row_dimensions.keys() - stored.keys():
            stored[row] = []
        pending = sorted(stored)
        k = 0
        with xf.element("sheetData"):
            for body in self.bodies:
                rows = range(body.first, body.first + body.n)
                clash = [r for r in pending if r in rows]
                if clash:
                    raise ValueError(f"sheet {self.ws.title}: row {clash[0]} is both stored and streamed")
                for row, text in _body_xml(self.ws, body):
                    while k < len(pending) and pending[k] < row:
                        self.write_row(xf, stored[pending[k]], pending[k])
                        k += 1
                    raw(text)
            for row in pending[k:]:
                self.write_row(xf, stored[row], row)
        self.xf.send(None)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text_xml(ref: str, value: Any) -> str:
    """A string cell (inline): written as text whatever it starts with; CR kept as ``&#13;``."""
    text = value if isinstance(value, str) else str(value)
    if ILLEGAL_CHARACTERS_RE.search(text):
        raise IllegalCharacterError(f"{text!r} cannot be used in worksheets.")
    if not text:
        return f'{ref} t="inlineStr"/>'
    space = ' xml:space="preserve"' if text.strip() != text else ""
    return f'{ref} t="inlineStr"><is><t{space}>{_escape(text).replace(chr(13), "&#13;")}</t></is></c>'


def _number_xml(ref: str, value: Any) -> str:
    if isinstance(value, bool):
        return f'{ref} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'{ref} t="n"><v>{value}</v></c>'
    number = float(value)  # numpy scalars too; repr: the shortest text that reads back exactly
    if not math.isfinite(number):
        return f"{ref}/>"
    return f'{ref} t="n"><v>{number!r}</v></c>'


def _date_xml(ref: str, value: Any) -> str:
    return f'{ref} t="n"><v>{to_excel(value)!r}</v></c>'


def _formula_xml(ref: str, value: Any) -> str:
    return f"{ref}><f>{_escape(value[1:])}</f><v></v></c>"


_CELL_XML = {"n": _number_xml, "d": _date_xml, "s": _text_xml, "f": _formula_xml}


def _body_xml(ws: Any, body: Body) -> Iterator[tuple[int, str]]:
    """The body's rows as ``<row>`` XML: each column's style id and cell writer fixed once."""
    slots: list[tuple[str, str, Callable[[str, Any], str]] | None] = []
    for offset, column in enumerate(body.columns):
        if column is None:
            slots.append(None)
            continue
        if column.kind not in KINDS:
            raise ValueError(f"column kind {column.kind!r}: one of {KINDS}")
        cell = Cell(ws, row=1, column=body.first_col + offset)
        if column.number_format:
            cell.number_format = column.number_format
        if column.font is not None:
            cell.font = column.font
        if column.fill is not None:
            cell.fill = column.fill
        style = f' s="{cell.style_id}"' if cell.has_style else ""
        slots.append((get_column_letter(body.first_col + offset), style, _CELL_XML[column.kind]))
    for i in range(body.n):
        row = body.first + i
        parts = [f'<row r="{row}">']
        for slot, value in zip(slots, body.values(i), strict=True):
            if slot is None or value is None:
                continue
            letter, style, write = slot
            parts.append(write(f'<c r="{letter}{row}"{style}', value))
        parts.append("</row>")
        yield row, "".join(parts)
