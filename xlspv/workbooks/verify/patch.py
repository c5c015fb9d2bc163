"""Write a copy of a workbook whose saved values are xlspv's results, patching only the cells' values.

Each changed cell keeps its start tag's attributes (style, cell metadata) and its formula; only its
type (``t``) and ``<v>`` change. A cell a result newly covers is inserted in column order (its row
too, in row order); a cell a shrunken dynamic array no longer covers loses its value. Every other
byte of the sheet, and every other part of the package, is kept: parts are written back with their
original entries (name, order, timestamp, compression), into a temporary file renamed into place.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ..files import write_atomically
from .book import Book, ExcelErrorValue, Sheet, cell_name

_START = re.compile(r"<(\w+:)?c\b([^>]*?)(/?)>")
_CHILD_V = re.compile(r"<(?:\w+:)?v\s*(?:/>|>.*?</(?:\w+:)?v>)|<(?:\w+:)?is>.*?</(?:\w+:)?is>", re.S)
_F_START = re.compile(r"(<(?:\w+:)?f\b[^>]*?\bref=)(\"[^\"]*\"|'[^']*')")
_T_ATTR = re.compile(r"\s+t\s*=\s*(\"[^\"]*\"|'[^']*')")
#: Characters XML 1.0 cannot carry at all; a text result holding one is written without it.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _v(value: Any) -> tuple[str | None, str]:
    """The ``t`` attribute and ``<v>`` text of a value as Excel saves a formula's result."""
    if isinstance(value, ExcelErrorValue):
        return "e", value.code
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, float):
        return None, str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return "str", escape(_INVALID_XML.sub("", str(value)))


def _cell_xml(original: str | None, prefix: str, row: int, col: int, value: Any, ref: str | None) -> str:
    """A cell's XML with ``value`` saved (``None``: no value), its other attributes and formula kept."""
    if original is None:
        if value is None:
            return ""
        kind, text = _v(value)
        t = f' t="{kind}"' if kind else ""
        return f'<{prefix}c r="{cell_name(row, col)}"{t}><{prefix}v>{text}</{prefix}v></{prefix}c>'
    start = _START.match(original)
    assert start is not None  # the scan matched this cell with the same pattern
    cell_prefix, attrs = start.group(1) or "", _T_ATTR.sub("", start.group(2)).rstrip()
    body = "" if start.group(3) else original[start.end() : original.rfind("<")]
    body = _CHILD_V.sub("", body)
    if ref is not None:
        body = _F_START.sub(lambda m: f'{m.group(1)}"{ref}"', body, count=1)
    if value is None:
        return f"<{cell_prefix}c{attrs}>{body}</{cell_prefix}c>" if body else f"<{cell_prefix}c{attrs}/>"
    kind, text = _v(value)
    t = f' t="{kind}"' if kind else ""
    v = f"<{cell_prefix}v>{text}</{cell_prefix}v>"
    close = re.search(r"</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>", body)
    body = body[: close.end()] + v + body[close.end() :] if close else v + body
    return f"<{cell_prefix}c{attrs}{t}>{body}</{cell_prefix}c>"


def patch_sheet(sheet: Sheet, patches: dict[tuple[int, int], Any], refs: dict[tuple[int, int], str]) -> str:
    """The sheet's XML with ``patches`` (cell -> value, ``None`` to clear) and new array ``refs`` applied."""
    xml, p = sheet.xml, sheet.prefix
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), applied from the end
    by_row: dict[int, dict[int, Any]] = {}
    for (row, col), value in patches.items():
        by_row.setdefault(row, {})[col] = value
    for row, col in refs:
        by_row.setdefault(row, {}).setdefault(col, _KEEP)
    new_rows: list[tuple[int, str]] = []
    for row, cols in sorted(by_row.items()):
        existing = sorted(set(sheet.row_cells.get(row, [])))
        if row in sheet.row_spans:
            edits.extend(_row_edits(sheet, row, existing, cols, refs))
        else:
            cells = "".join(
                _cell_xml(None, p, row, col, v, None) for col, v in sorted(cols.items()) if v is not _KEEP
            )
            if cells:
                new_rows.append((row, f'<{p}row r="{row}">{cells}</{p}row>'))
    starts = sorted((span[0], row) for row, span in sheet.row_spans.items())
    for row, text in new_rows:
        at = bisect_row(starts, row, sheet.sheet_data_end)
        edits.append((at, at, text))
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        xml = xml[:start] + text + xml[end:]
    return xml


_KEEP = object()  # a cell whose value stays but whose formula's ref changes


def _with_ref(original: str, ref: str | None) -> str:
    """The cell XML ``original`` with its formula's ``ref`` attribute set to ``ref``."""
    return _F_START.sub(lambda m: f'{m.group(1)}"{ref}"', original, count=1)


def _row_edits(sheet: Sheet, row: int, existing: list[int], cols: dict[int, Any], refs: dict) -> list:
    edits = []
    row_start, tag_end, close_start, row_end = sheet.row_spans[row]
    inserts: list[tuple[int, str]] = []
    for col, value in sorted(cols.items()):
        ref = refs.get((row, col))
        if col in existing:
            start, end = sheet.cell_spans[(row, col)]
            original = sheet.xml[start:end]
            if value is _KEEP:
                text = _with_ref(original, ref)
            else:
                text = _cell_xml(original, sheet.prefix, row, col, value, ref)
            edits.append((start, end, text))
        elif value is not None and value is not _KEEP:
            following = [c for c in existing if c > col]
            at = (
                sheet.cell_spans[(row, following[0])][0]
                if following
                else (close_start if close_start >= 0 else -1)
            )
            inserts.append((at, _cell_xml(None, sheet.prefix, row, col, value, None)))
    grouped: dict[int, str] = {}
    for at, text in inserts:  # cells inserted at one place go in column order, as one edit
        if at >= 0:
            grouped[at] = grouped.get(at, "") + text
    edits.extend((at, at, text) for at, text in grouped.items())
    tail = "".join(text for at, text in inserts if at < 0)
    if tail:  # a self-closing <row .../>: give it a body
        tag = sheet.xml[row_start:row_end]
        opened = tag[:-2].rstrip() + ">"
        opening = re.match(r"<([\w:]*row)", tag)
        # row_spans only holds spans the scanner matched as a <row ...> tag, so the tag starts with one
        assert opening is not None
        name = opening.group(1)
        edits.append((row_start, row_end, f"{opened}{tail}</{name}>"))
    return edits


def bisect_row(starts: list[tuple[int, int]], row: int, end: int) -> int:
    """Where a new row goes: before the first existing row below it, else at the end of sheetData."""
    for start, number in starts:
        if number > row:
            return start
    return end


def write_copy(book: Book, out: str | Path, sheets: dict[str, str], *, force: bool = False) -> Path:
    """Write the package with the given sheets' XML replaced, atomically, to ``out`` (replaced only
    with ``force``)."""
    changed = {book.sheets[name].part: xml.encode("utf-8") for name, xml in sheets.items()}

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w") as package:
            for info in book.entries:
                package.writestr(info, changed.get(info.filename, book.parts[info.filename]))

    return write_atomically(out, write, force=force)
