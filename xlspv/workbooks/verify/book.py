"""Read a workbook for :mod:`xlspv.workbooks.verify`: its parts, its sheets scanned once, names and tables.

Each worksheet's XML is scanned once with regular expressions (no openpyxl load): the saved value and
formula of every cell, and where each cell and row sits in the XML, which the update patches.
"""

from __future__ import annotations

import datetime as dt
import html
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

from ...cells import EXCEL_ERRORS
from ...dates import serial_from_ordinal
from ...errors import SpvInputError
from ..files import check_workbook_package
from .forms import CALL

ERROR_CODES = EXCEL_ERRORS  # the one list of Excel's error values (xlspv.cells)

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True)
class ExcelErrorValue:
    """An Excel error value (``#N/A``); ``message`` is xlspv's reason, when it gave one."""

    code: str
    message: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.code


class _Never:
    """The saved value of a formula Excel never computed (``<v/>`` or no ``<v>``)."""

    def __repr__(self) -> str:
        return "never computed"


NEVER = _Never()


# --- the package ----------------------------------------------------------------------------------


def _unusable(path: Path, text: str) -> SpvInputError:
    return SpvInputError(f"{path.name}: {text}")


def read_parts(path: Path) -> tuple[list[zipfile.ZipInfo], dict[str, bytes]]:
    """Every part of the package, read after the checks every reader applies.

    :func:`~xlspv.workbooks.files.check_workbook_package` refuses a device or pipe, a package that
    would inflate beyond :data:`xlspv.workbooks.package.LIMITS` (a zip bomb), macros and XML with a
    DTD before any part is read; ``zipfile`` stops each part at its declared size.
    """
    check_workbook_package(path)
    try:
        with zipfile.ZipFile(path) as package:
            entries = package.infolist()
            parts = {info.filename: package.read(info) for info in entries}
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
        raise _unusable(
            path, f"cannot be read as an .xlsx package ({exc}); save it again as .xlsx."
        ) from None
    return entries, parts


def _xml(path: Path, parts: dict[str, bytes], name: str) -> Any:
    if name not in parts:
        raise _unusable(path, f"the part {name} is missing; open the workbook in Excel and save it again.")
    try:
        return ElementTree.fromstring(parts[name])
    except Exception as exc:  # defusedxml's and expat's errors have no common base but Exception
        raise _unusable(
            path, f"{name} is damaged ({exc}); open the workbook in Excel and save it again."
        ) from None


def _rels(path: Path, parts: dict[str, bytes], source: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, part name) of a part's relationships."""
    folder, base = posixpath.split(source)
    name = posixpath.join(folder, "_rels", base + ".rels")
    if name not in parts:
        return {}
    result = {}
    for rel in _xml(path, parts, name).iter(f"{_PKG}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        part = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        result[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], part)
    return result


# --- a sheet, scanned once ------------------------------------------------------------------------

_ROW_OR_CELL = re.compile(
    r"<(?P<rp>\w+:)?row\b(?P<ra>[^>]*?)(?P<rs>/?)>|</(?:\w+:)?row>"
    r"|<(?P<cp>\w+:)?c\b(?P<ca>[^>]*?)(?:/>|>(?P<cb>.*?)</(?:\w+:)?c>)",
    re.S,
)
_ATTR = re.compile(r"([\w:]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_F = re.compile(r"<(?:\w+:)?f\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_V = re.compile(r"<(?:\w+:)?v\s*(?:/>|>(.*?)</(?:\w+:)?v>)", re.S)
_T = re.compile(r"<(?:\w+:)?t\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?t>)", re.S)
_RPH = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_XSTRING = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _attrs(text: str) -> dict[str, str]:
    return {
        m.group(1): html.unescape(m.group(2) if m.group(2) is not None else m.group(3))
        for m in _ATTR.finditer(text)
    }


def _text(raw: str) -> str:
    """Element text as the reader sees it: XML entities and OOXML's ``_xHHHH_`` escapes undone."""
    text = html.unescape(raw) if "&" in raw else raw
    return _XSTRING.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(row: int, col: int) -> str:
    return f"{column_letters(col)}{row}"


@dataclass
class Formula:
    text: str  # as stored, without "=", shared formulas translated to this cell
    kind: str | None  # None, "array", "shared" or "dataTable"
    ref: str | None  # an array formula's range
    dynamic: bool  # the cell carries cell metadata (``cm``): an Excel 365 dynamic array


@dataclass
class Sheet:
    """One worksheet's cells as saved: values, formulas and where each cell and row sits in the XML."""

    name: str
    part: str
    xml: str
    values: dict[tuple[int, int], Any] = field(default_factory=dict)
    formulas: dict[tuple[int, int], Formula] = field(default_factory=dict)
    cell_spans: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    #: row -> (start of ``<row``, end of its start tag, start of ``</row>`` or -1 if self-closing, end)
    row_spans: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)
    row_cells: dict[int, list[int]] = field(default_factory=dict)
    prefix: str = ""
    sheet_data_end: int = -1  # where ``</sheetData>`` starts (new rows at the end go there)
    max_row: int = 0
    max_col: int = 0


def scan_sheet(name: str, part: str, xml: str, shared_strings: list[str], where: str) -> Sheet:
    """Scan a worksheet part once; shared formulas are translated to each cell that uses them."""
    sheet = Sheet(name, part, xml)
    start = re.search(r"<(\w+:)?sheetData\b[^>]*?(/?)>", xml)
    if start is None or start.group(2):
        return sheet
    sheet.prefix = start.group(1) or ""
    end = xml.find(f"</{sheet.prefix}sheetData>", start.end())
    if end < 0:
        raise SpvInputError(f"{where}: the sheet {name!r} is cut short (no </sheetData>); save it again.")
    sheet.sheet_data_end = end
    masters: dict[str, tuple[str, int, int]] = {}
    row, col, row_start, row_tag_end = 0, 0, 0, 0
    for m in _ROW_OR_CELL.finditer(xml, start.end(), end):
        if m.group("ra") is not None:  # <row ...> or <row .../>
            number = _attrs(m.group("ra")).get("r")
            row = int(number) if number else row + 1
            col, row_start, row_tag_end = 0, m.start(), m.end()
            sheet.row_cells.setdefault(row, [])
            if m.group("rs"):
                sheet.row_spans[row] = (m.start(), m.end(), -1, m.end())
        elif m.group("ca") is None:  # </row>
            sheet.row_spans[row] = (row_start, row_tag_end, m.start(), m.end())
        else:
            attrs = _attrs(m.group("ca"))
            ref = attrs.get("r")
            if ref:
                cm = _CELL_REF.fullmatch(ref)
                if cm is None:
                    raise SpvInputError(f"{where}: sheet {name!r} has a cell named {ref!r}; save it again.")
                col, row = column_number(cm.group(1)), int(cm.group(2))
            else:
                col += 1
            key = (row, col)
            sheet.cell_spans[key] = (m.start(), m.end())
            sheet.row_cells.setdefault(row, []).append(col)
            sheet.max_row, sheet.max_col = max(sheet.max_row, row), max(sheet.max_col, col)
            body = m.group("cb") or ""
            formula = _formula(body, attrs, key, masters) if "<" in body else None
            value = _value(body, attrs.get("t"), shared_strings, formula is not None, where, name, key)
            if formula is not None:
                sheet.formulas[key] = formula
            if value is not None:
                sheet.values[key] = value
    return sheet


def _formula(
    body: str, cell_attrs: dict[str, str], key: tuple[int, int], masters: dict[str, tuple[str, int, int]]
) -> Formula | None:
    fm = _F.search(body)
    if fm is None:
        return None
    attrs = _attrs(fm.group(1))
    text = _text(fm.group(2) or "")
    kind = attrs.get("t")
    if kind == "shared":
        si = attrs.get("si", "")
        if text:
            masters[si] = (text, *key)
        elif si in masters:
            text = _translate(*masters[si], key)
    return Formula(text, kind, attrs.get("ref"), "cm" in cell_attrs)


def _translate(text: str, row: int, col: int, key: tuple[int, int]) -> str:
    """A shared formula's text as the cell ``key`` uses it (relative references moved)."""
    if not CALL.search(text):
        return text  # not one of ours: only "is a formula" matters, not its exact text
    from openpyxl.formula.translate import Translator

    return Translator("=" + text, origin=cell_name(row, col)).translate_formula(cell_name(*key))[1:]


def _value(
    body: str, kind: str | None, strings: list[str], is_formula: bool, where: str, sheet: str, key
) -> Any:
    vm = _V.search(body)
    raw = vm.group(1) if vm else None
    if kind == "inlineStr":
        inline = re.search(r"<(?:\w+:)?is>(.*?)</(?:\w+:)?is>", body, re.S)
        return "".join(_text(t or "") for t in _T.findall(_RPH.sub("", inline.group(1)))) if inline else ""
    if raw is None or (raw == "" and kind not in ("str", "s")):
        return NEVER if is_formula else None
    try:
        if kind in (None, "n"):
            return float(raw)
        if kind == "str":
            return _text(raw)
        if kind == "s":
            return strings[int(raw)]
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "e":
            return ExcelErrorValue(raw.strip())
        if kind == "d":
            day = dt.datetime.fromisoformat(raw.strip())
            return float(serial_from_ordinal(day.date().toordinal()))
    except (ValueError, IndexError):
        pass
    raise SpvInputError(
        f"{where}: {sheet}!{cell_name(*key)} holds {raw[:40]!r} as a value of type {kind!r}; "
        "open the workbook in Excel and save it again."
    )


# --- the workbook ---------------------------------------------------------------------------------


@dataclass
class Table:
    name: str
    sheet: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int
    header_rows: int
    totals_rows: int
    columns: list[str]


@dataclass
class Book:
    """What :func:`verify` reads of a workbook: sheets, defined names, tables and the package's parts."""

    path: Path
    entries: list[zipfile.ZipInfo]
    parts: dict[str, bytes]
    sheets: dict[str, Sheet]  # by name as written
    names: dict[tuple[str | None, str], str]  # (sheet for a local name or None, NAME) -> definition
    tables: dict[str, Table]  # by upper-case name

    def sheet(self, name: str) -> Sheet | None:
        found = self.sheets.get(name)
        if found is None:
            folded = name.upper()
            found = next((s for n, s in self.sheets.items() if n.upper() == folded), None)
        return found


def read_book(path: str | Path) -> Book:
    """Read a workbook for checking; :class:`SpvInputError` (one line) if it cannot be used."""
    path = Path(path)
    entries, parts = read_parts(path)
    workbook = _xml(path, parts, "xl/workbook.xml")
    pr = workbook.find(f"{_MAIN}workbookPr")
    if pr is not None and pr.get("date1904") in ("1", "true"):
        raise _unusable(
            path,
            "uses the 1904 date system (a Mac Excel option); xlspv reads dates as 1900-system serials. "
            "Untick File > Options > Advanced > 'Use 1904 date system' and save again.",
        )
    strings = _shared_strings(path, parts)
    rels = _rels(path, parts, "xl/workbook.xml")
    sheets: dict[str, Sheet] = {}
    tables: dict[str, Table] = {}
    order: list[str] = []
    for node in workbook.iter(f"{_MAIN}sheet"):
        kind, part = rels.get(node.get(f"{_REL}id", ""), ("", ""))
        name = node.get("name", "")
        order.append(name)
        if kind != "worksheet":
            continue
        if part not in parts:
            raise _unusable(
                path, f"the sheet {name!r} ({part}) is missing; open it in Excel and save it again."
            )
        try:
            xml = parts[part].decode("utf-8")
        except UnicodeDecodeError:
            raise _unusable(path, f"{part} is not UTF-8 XML; open it in Excel and save it again.") from None
        sheets[name] = scan_sheet(name, part, xml, strings, path.name)
        for table_kind, table_part in _rels(path, parts, part).values():
            if table_kind == "table":
                table = _table(path, parts, table_part, name)
                tables[table.name.upper()] = table
    names: dict[tuple[str | None, str], str] = {}
    for node in workbook.iter(f"{_MAIN}definedName"):
        local = node.get("localSheetId")
        sheet = (
            order[int(local)] if local is not None and local.isdigit() and int(local) < len(order) else None
        )
        names[(sheet, node.get("name", "").upper())] = (node.text or "").strip()
    return Book(path, entries, parts, sheets, names, tables)


def _shared_strings(path: Path, parts: dict[str, bytes]) -> list[str]:
    data = parts.get("xl/sharedStrings.xml")
    if data is None:
        return []
    text = data.decode("utf-8", errors="replace")
    return [
        "".join(_text(t or "") for t in _T.findall(_RPH.sub("", si)))
        for si in re.findall(r"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", text, re.S)
    ]


def _table(path: Path, parts: dict[str, bytes], part: str, sheet: str) -> Table:
    root = _xml(path, parts, part)
    ref = root.get("ref", "")
    m = re.fullmatch(r"([A-Z]+)(\d+):([A-Z]+)(\d+)", ref.replace("$", "").upper())
    if m is None:
        raise _unusable(
            path, f"the table in {part} has the range {ref!r}; open it in Excel and save it again."
        )
    columns = [c.get("name", "") for c in root.iter(f"{_MAIN}tableColumn")]
    return Table(
        root.get("displayName") or root.get("name") or "",
        sheet,
        int(m.group(2)),
        column_number(m.group(1)),
        int(m.group(4)),
        column_number(m.group(3)),
        int(root.get("headerRowCount", "1")),
        int(root.get("totalsRowCount", "0")),
        columns,
    )
