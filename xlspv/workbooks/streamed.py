"""Workbooks whose long row tables are streamed to the file at save time, a chunk of rows at a time.

A report's per-row sheets (Inputs, Audit, Waterfall, Schedule; the portfolio report's SPVs, Readings,
Sensitivity, Flags and present values) hold one row per cash flow or per SPV: at 100,000 rows a normal
openpyxl workbook keeps about 5 million cell objects alive (2.5 GB), and openpyxl's per-cell writer
costs some 10 us a cell. openpyxl's write-only mode streams rows instead, but a write-only workbook
cannot hold normal sheets, and every sheet must then be written strictly top to bottom.

:class:`StreamedWorkbook` keeps both: it is a normal openpyxl workbook (so every sheet keeps its
styles, tables, validations, conditional formats, charts, names, frozen panes and print set-up, as the
tests pin them), and a sheet's row block can be registered as a *body*, either column by column
(:meth:`StreamedWorkbook.stream_columns`: a sequence or array of values, or one formula copied down,
per column) or row by row (:meth:`StreamedWorkbook.stream_rows`: a function giving row ``i``'s
values), with one fixed style per column. Nothing of the body is held as cells.

Who writes what: openpyxl writes the workbook package (every part, the styles, the stored cells of
each sheet, through its own sheet writer); only the bodies' ``<row>`` XML is generated here, and
written between the stored rows by openpyxl's sheet writer at save time (to its temporary file), a
chunk of :data:`CHUNK_ROWS` rows at a time: each column's style id is resolved once, and its cells
are generated column by column by the writer of its kind (about 1 us a cell). Memory is the data
(the arrays the body reads) plus one chunk's text. The package's parts are deflated on a second
thread, in openpyxl's order, while the next sheet is generated (:mod:`.zipwriter`: zlib lets go of
the interpreter while it deflates), at zlib's fastest level (:data:`.zipwriter.DEFLATE_LEVEL`); the
package is the one a single thread writes at that level.

Cells of a body are typed by their column, never guessed from the value: a text column writes every
value as an inline string (so user text starting with ``=`` stays text; control characters are shown
as their control pictures and a text is cut at Excel's limit, as :func:`.style.write_text` does), a
formula column writes escaped formulas, a number or date column numbers (NaN, NaT and None: blank).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED

import et_xmlfile
import numpy as np
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.constants import SHEET_MAIN_NS

from ..dates import EXCEL_EPOCH_ORDINAL
from ..errors import SpvError
from .package import EXCEL_MAX_CELL_CHARS, EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS, fit_cell_text
from .style import _NOT_XML, shown_text
from .zipwriter import BackgroundArchive

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
    """Rows ``first .. first + n - 1`` of a sheet, generated at save time from ``data`` (one sequence
    or formula template per column) or from ``values(i)`` (row ``i``'s values)."""

    first: int
    n: int
    columns: Sequence[Column | None]
    values: Callable[[int], Sequence[Any]] | None
    first_col: int = 1
    data: Sequence[Any] | None = None

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
        self._add(ws, Body(first, n, columns, values, first_col))

    def stream_columns(
        self,
        ws: Worksheet,
        first: int,
        n: int,
        columns: Sequence[Column | None],
        data: Sequence[Any],
        *,
        first_col: int = 1,
    ) -> None:
        """Write ``n`` rows from row ``first`` of ``ws``, column by column, when the workbook is saved.

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
        data : sequence
            One per column: ``n`` values (a list, tuple or numpy array; ``None``, NaN and NaT are blank
            cells), a formula template (a string starting with ``=``; ``{r}`` is replaced by the row
            number) for a formula column, or ``None`` (an empty column). Read at save time: keep it
            unchanged until then.
        first_col : int
            The block's first column (1-based).

        Raises
        ------
        SpvError
            The block would pass Excel's last row or column.
        """
        if len(data) != len(columns):
            raise ValueError(f"sheet {ws.title}: {len(columns)} columns but {len(data)} data")
        for column, values in zip(columns, data, strict=True):
            if isinstance(values, str):
                if column is None or column.kind != "f" or not values.startswith("="):
                    raise ValueError(
                        f"sheet {ws.title}: a formula template {values!r} needs a formula column"
                    )
            elif values is not None and len(values) != n:
                raise ValueError(f"sheet {ws.title}: a column of {len(values)} values for {n} rows")
        self._add(ws, Body(first, n, columns, None, first_col, data))

    def _add(self, ws: Worksheet, body: Body) -> None:
        first, n = body.first, body.n
        if first + n - 1 > MAX_ROWS or body.last_col > MAX_COLUMNS:
            raise SpvError(
                f"sheet {ws.title}: {n:,} rows from row {first} would pass Excel's grid "
                f"({MAX_ROWS:,} rows, {MAX_COLUMNS:,} columns); split the input."
            )
        bodies = self._bodies.setdefault(id(ws), [])
        if any(first <= b.first + b.n - 1 and b.first <= first + n - 1 for b in bodies):
            raise ValueError(f"sheet {ws.title}: row blocks may not overlap")
        bodies.append(body)

    def dimensions(self, ws: Worksheet) -> str:
        """The sheet's used range, ``A1:<last column><last row>``, its streamed rows included."""
        return _dimensions(ws, self._bodies.get(id(ws), []))

    def save(self, filename: str | Path) -> None:  # type: ignore[override]
        """Save like openpyxl's ``Workbook.save``, streaming the registered row blocks."""
        for ws in self.worksheets:
            if id(ws) in self._bodies:
                _name_table_columns(ws)
        # The parts are deflated on a second thread while the next sheet is generated (zipwriter).
        archive = BackgroundArchive(filename, ZIP_DEFLATED)
        self.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
        try:
            _StreamingExcelWriter(self, archive).save()
        except BaseException:
            archive.abort()
            raise


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
    """openpyxl's package writer on a :class:`.BackgroundArchive`; a sheet with bodies goes through
    :class:`_BodyWriter`."""

    def write_worksheet(self, ws: Any) -> None:
        # openpyxl 3.1's ExcelWriter.write_worksheet, with the sheet writer swapped for a sheet with
        # bodies, and the sheet's temporary file removed on the archive's thread once it is stored.
        from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing

        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        bodies = self.workbook._bodies.get(id(ws))
        writer = _BodyWriter(ws, bodies) if bodies else WorksheetWriter(ws)
        try:
            writer.write()
        except BaseException:
            with contextlib.suppress(OSError, ValueError):
                writer.cleanup()  # the half-written temporary file, now rather than at exit
            raise
        ws._rels = writer._rels
        self._archive.write(writer.out, ws.path[1:], then=writer.cleanup)
        self.manifest.append(ws)


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
        self.xf.send(SheetDimension(_dimensions(self.ws, self.bodies)).to_tree())

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


def _dimensions(ws: Any, bodies: Sequence[Body]) -> str:
    cells = ws._cells
    rows = [r for r, _c in cells] + [b.first + b.n - 1 for b in bodies if b.n] + [1]
    cols = [c for _r, c in cells] + [b.last_col for b in bodies if b.n] + [1]
    return f"A1:{get_column_letter(max(cols))}{max(rows)}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(value: Any) -> str:
    """User text as a cell holds it: control characters shown, cut at Excel's limit (as ``write_text``)."""
    text = value if isinstance(value, str) else str(value)
    text = shown_text(text)
    if len(text) > EXCEL_MAX_CELL_CHARS:
        text = fit_cell_text(text)[0]
    return text


#: A column's cell address parts: its letter, its style attribute, and whether a blank keeps the style.
Ref = tuple[str, str, bool]


def _blank(ref: Ref, row: int | str) -> str:
    """A blank cell: kept (empty, styled) in a styled column of values, else not written."""
    letter, style, keep = ref
    return f'<c r="{letter}{row}"{style}/>' if keep and style else ""


# The column writers below take a chunk's row numbers as text (``rows``: made once a chunk, for every
# column) and return one cell's XML a row ("" for a cell not written).

#: Joins a chunk's texts while they are checked and escaped at once (a private-use character: a text
#: that holds it, counted, is written on its own).
_SEPARATOR = "\uf8ff"


def _texts(ref: Ref, rows: Sequence[str], values: Sequence[Any]) -> list[str]:
    """String cells (inline): written as text whatever they start with; CR kept as ``&#13;``."""
    texts = values.tolist() if isinstance(values, np.ndarray) else list(values)
    joined = _SEPARATOR.join(texts) if set(map(type, texts)) == {str} else None
    if (
        joined is None  # a missing text, or not a str
        or joined.count(_SEPARATOR) != len(texts) - 1
        or _NOT_XML.search(joined)  # a control character to show
        or max(map(len, texts), default=0) > EXCEL_MAX_CELL_CHARS
    ):
        return _texts_one_by_one(ref, rows, texts)
    # The usual chunk: plain strings, checked and escaped in three C passes over one text.
    if "&" in joined or "<" in joined or ">" in joined:
        joined = _escape(joined)
    if "\r" in joined:
        joined = joined.replace("\r", "&#13;")
    letter, style, _keep = ref
    head, mid = f'<c r="{letter}', f'"{style} t="inlineStr"'
    plain, kept = "><is><t>", '><is><t xml:space="preserve">'  # leading or trailing white space kept
    return [
        f"{head}{row}{mid}{plain if text.strip() == text else kept}{text}</t></is></c>"
        if text
        else f"{head}{row}{mid}/>"
        for row, text in zip(rows, joined.split(_SEPARATOR), strict=True)
    ]


def _texts_one_by_one(ref: Ref, rows: Sequence[str], values: Sequence[Any]) -> list[str]:
    letter, style, _keep = ref
    out = []
    for row, value in zip(rows, values, strict=True):
        if value is None or value != value:  # NaN: a missing text is a blank cell
            out.append(_blank(ref, row))
            continue
        text = _text(value)
        if not text:
            out.append(f'<c r="{letter}{row}"{style} t="inlineStr"/>')
            continue
        if "&" in text or "<" in text or ">" in text:
            text = _escape(text)
        if "\r" in text:
            text = text.replace("\r", "&#13;")
        space = ' xml:space="preserve"' if text.strip() != text else ""
        out.append(f'<c r="{letter}{row}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
    return out


def _number(value: Any) -> str | None:
    """A number's ``<v>`` text and type, or None for a blank (NaN, infinite)."""
    if type(value) is float:  # the common case first
        return f' t="n"><v>{value!r}</v></c>' if math.isfinite(value) else None
    if isinstance(value, bool | np.bool_):
        return f' t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | np.integer):
        return f' t="n"><v>{int(value)}</v></c>'
    number = float(value)  # repr: the shortest text that reads back exactly
    if not math.isfinite(number):
        return None
    return f' t="n"><v>{number!r}</v></c>'


def _numbers(ref: Ref, rows: Sequence[str], values: Sequence[Any]) -> list[str]:
    letter, style, keep = ref
    head, mid = f'<c r="{letter}', f'"{style} t="n"><v>'
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        finite = np.isfinite(values)
        if finite.all():
            return [f"{head}{row}{mid}{v!r}</v></c>" for row, v in zip(rows, values.tolist(), strict=True)]
        blank = f'"{style}/>' if keep and style else None
        return [
            f"{head}{row}{mid}{v!r}</v></c>" if ok else f"{head}{row}{blank}" if blank else ""
            for row, v, ok in zip(rows, values.tolist(), finite.tolist(), strict=True)
        ]
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return [f"{head}{row}{mid}{v}</v></c>" for row, v in zip(rows, values.tolist(), strict=True)]
    out = []
    for row, value in zip(rows, values, strict=True):
        text = None if value is None else _number(value)
        out.append(_blank(ref, row) if text is None else f'<c r="{letter}{row}"{style}{text}')
    return out


def _dates(ref: Ref, rows: Sequence[str], values: Sequence[Any]) -> list[str]:
    letter, style, _keep = ref
    head, mid = f'<c r="{letter}', f'"{style} t="n"><v>'
    days = _python_dates(values)
    if days and set(map(type, days)) == {dt.date}:  # the usual chunk: whole days, none missing
        serials = [o - EXCEL_EPOCH_ORDINAL for o in map(dt.date.toordinal, days)]
        if min(serials) > 60:  # past Excel's 1900 leap day: the serial is the day count, "61.0"
            return [f"{head}{row}{mid}{serial}.0</v></c>" for row, serial in zip(rows, serials, strict=True)]
    out = []
    for row, value in zip(rows, days, strict=True):
        if value is None or value != value:  # None, NaT
            out.append(_blank(ref, row))
            continue
        if type(value) is dt.date and value.toordinal() - EXCEL_EPOCH_ORDINAL > 60:  # the usual: whole days
            serial: Any = float(value.toordinal() - EXCEL_EPOCH_ORDINAL)  # 61.0, as openpyxl writes
        else:  # Excel's days 1-60 (one off: its 1900 leap day), datetimes: openpyxl's own rule
            serial = to_excel(value)
        out.append(f"{head}{row}{mid}{serial!r}</v></c>")
    return out


def _python_dates(values: Sequence[Any]) -> list[Any]:
    """The cells of a date chunk as Python objects: a ``datetime64`` array's as dates (whole days) or
    datetimes (finer units, to the microsecond), NaT as ``None``; anything else as it is."""
    if not isinstance(values, np.ndarray):
        return list(values)
    if values.dtype.kind == "M" and np.datetime_data(values.dtype)[0] not in (
        "Y",
        "M",
        "W",
        "D",
        "h",
        "m",
        "s",
        "ms",
        "us",
    ):
        values = values.astype("datetime64[us]")  # (ns and finer: tolist would give integers)
    return values.tolist()


def _formulas(ref: Ref, rows: Sequence[str], values: Sequence[Any] | str) -> list[str]:
    """Formula cells: one template copied down (``{r}`` = the row) or one formula a row."""
    letter, style, _keep = ref
    if isinstance(values, str):
        parts = _escape(values[1:]).split("{r}")
        return [f'<c r="{letter}{row}"{style}><f>{row.join(parts)}</f><v></v></c>' for row in rows]
    if any(value is None for value in values):
        return [
            _blank(ref, row)
            if value is None
            else f'<c r="{letter}{row}"{style}><f>{_escape(value[1:])}</f><v></v></c>'
            for row, value in zip(rows, values, strict=True)
        ]
    # A column's formulas escaped at once (three C passes over one text, not three a cell); a
    # formula holding the separator (XML forbids it in a cell anyway) is escaped on its own.
    joined = "\x00".join(value[1:] for value in values)
    texts = _escape(joined).split("\x00") if joined.count("\x00") == len(values) - 1 else None
    if texts is None:
        texts = [_escape(value[1:]) for value in values]
    return [
        f'<c r="{letter}{row}"{style}><f>{text}</f><v></v></c>' for row, text in zip(rows, texts, strict=True)
    ]


_COLUMN_XML: dict[str, Callable[..., list[str]]] = {"n": _numbers, "d": _dates, "s": _texts, "f": _formulas}

#: Cells generated at a time by a column body: memory is one chunk's text (a few MB), the speed that
#: of whole columns.
CHUNK_CELLS = 32_768


def _body_xml(ws: Any, body: Body) -> Iterator[tuple[int, str]]:
    """The body's rows as ``<row>`` XML: each column's style id resolved once; a column body a chunk
    of rows at a time, its cells generated column by column by the writer of its kind; a row body
    row by row (its values come a row at a time)."""
    refs: list[Ref | None] = []
    keep = body.data is not None  # a row function's None skips its cell (stream_rows)
    for offset, column in enumerate(body.columns):
        if column is None:
            refs.append(None)
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
        refs.append((get_column_letter(body.first_col + offset), style, keep))
    if body.data is None:
        yield from _row_body_xml(body, refs)
        return
    step = max(1, CHUNK_CELLS // max(1, len(refs)))
    for start in range(0, body.n, step):
        stop = min(start + step, body.n)
        rows = list(map(str, range(body.first + start, body.first + stop)))  # once for every column
        cells = [
            _COLUMN_XML[column.kind](ref, rows, values if isinstance(values, str) else values[start:stop])
            for column, ref, values in zip(body.columns, refs, body.data, strict=True)
            if column is not None and ref is not None and values is not None
        ]
        heads = [f'<row r="{row}">' for row in rows]
        yield body.first + start, "".join(map("".join, zip(heads, *cells, repeat("</row>"), strict=False)))


def _text_xml(ref: str, value: Any) -> str:
    """A string cell (inline), as :func:`_texts` writes it."""
    text = _text(value)
    if not text:
        return f'{ref} t="inlineStr"/>'
    space = ' xml:space="preserve"' if text.strip() != text else ""
    return f'{ref} t="inlineStr"><is><t{space}>{_escape(text).replace(chr(13), "&#13;")}</t></is></c>'


def _number_xml(ref: str, value: Any) -> str:
    text = _number(value)
    return f"{ref}/>" if text is None else ref + text


def _date_xml(ref: str, value: Any) -> str:
    return f'{ref} t="n"><v>{to_excel(value)!r}</v></c>'


def _formula_xml(ref: str, value: Any) -> str:
    return f"{ref}><f>{_escape(value[1:])}</f><v></v></c>"


_CELL_XML = {"n": _number_xml, "d": _date_xml, "s": _text_xml, "f": _formula_xml}


def _row_body_xml(body: Body, refs: Sequence[Ref | None]) -> Iterator[tuple[int, str]]:
    """A row body's rows, one at a time (a cell writer a cell: no columns to build from rows)."""
    assert body.values is not None
    slots = [
        None if ref is None or column is None else (ref[0], ref[1], _CELL_XML[column.kind])
        for ref, column in zip(refs, body.columns, strict=True)
    ]
    for i in range(body.n):
        row = body.first + i
        parts = [f'<row r="{row}">']
        for slot, value in zip(slots, body.values(i), strict=True):
            if slot is None or value is None:
                continue
            letter, style, write = slot
            if write is _formula_xml:  # most of a report's cells: written here, not called
                parts.append(f'<c r="{letter}{row}"{style}><f>{_escape(value[1:])}</f><v></v></c>')
            else:
                parts.append(write(f'<c r="{letter}{row}"{style}', value))
        parts.append("</row>")
        yield row, "".join(parts)
