"""Find the calls of xlspv's functions in a scanned workbook and resolve what their arguments refer to.

An argument is one of: a cell or range reference (``$B$6:$B$53``, ``'Other sheet'!A:A``, ``1:1``), a
defined name (``Terms``; sheet-local names first), a structured reference (``Flows[Value]``,
``Flows[[#Data],[Date]:[Value]]``, ``[@Value]``), ``_xlfn.ANCHORARRAY(B6)`` (``B6#``), a literal
(number, per cent, text, TRUE/FALSE, an error value), an array constant (``{0.04;0.05}``), or left out.
Anything else (an expression such as ``B5+0.01``, another function) is reported as not checked: the
check reads saved values, it does not evaluate Excel formulas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...errors import BrokenFormulaError, UncheckedFormulaError
from ..package import EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS
from .book import ERROR_CODES, Book, ExcelErrorValue, Sheet, cell_name, column_letters, column_number
from .forms import CALL, form_note, runtime_of

MAX_ROWS, MAX_COLS = EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS  # Excel's grid, defined in ..package


@dataclass(frozen=True)
class Area:
    """A rectangle of cells on one sheet, rows and columns 1-based and inclusive."""

    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.r2 - self.r1 + 1, self.c2 - self.c1 + 1

    def ref(self) -> str:
        first, last = cell_name(self.r1, self.c1), cell_name(self.r2, self.c2)
        return first if first == last else f"{first}:{last}"

    def __str__(self) -> str:
        return f"{self.sheet}!{self.ref()}"

    def intersects(self, other: Area) -> bool:
        return (
            self.sheet == other.sheet
            and self.r1 <= other.r2
            and other.r1 <= self.r2
            and self.c1 <= other.c2
            and other.c1 <= self.c2
        )

    def cells(self) -> list[tuple[int, int]]:
        return [(r, c) for r in range(self.r1, self.r2 + 1) for c in range(self.c1, self.c2 + 1)]


@dataclass(frozen=True)
class Arg:
    """A resolved argument: ``kind`` is "range" (``area``), "value", "array" (``value``) or "missing"."""

    kind: str
    area: Area | None = None
    value: Any = None


@dataclass
class Call:
    """One cell calling one of xlspv's functions, as stored."""

    sheet: str
    row: int
    col: int
    formula: str
    name: str  # upper case, as udfs.py names it
    runtime: str  # the runtime its stored form binds on
    note: str
    args: list[str]
    area: Area  # the cells showing its result: the array formula's range, or the cell itself
    array: bool
    dynamic: bool
    top_left: bool  # one cell shows the top-left value of the result (a plain cell, or "@")

    @property
    def cell(self) -> str:
        return cell_name(self.row, self.col)

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.cell}"


@dataclass
class Skipped:
    """A formula that calls a function but is not checked, and why."""

    sheet: str
    cell: str
    formula: str
    runtime: str
    reason: str


def find_calls(book: Book) -> tuple[list[Call], list[Skipped]]:
    """Every formula calling one of the functions: checkable calls, and those that are not (with why)."""
    calls: list[Call] = []
    skipped: list[Skipped] = []
    for sheet in book.sheets.values():
        for (row, col), formula in sheet.formulas.items():
            text = formula.text
            first = CALL.search(text) if "(" in text else None
            if first is None:
                continue
            found = _locate(text)
            where = cell_name(row, col)
            if isinstance(found, str):
                skipped.append(Skipped(sheet.name, where, text, runtime_of(first), found))
                continue
            match, args, single = found
            if formula.kind == "array" and formula.ref:
                area = _area_of(sheet.name, formula.ref)
            else:
                area = Area(sheet.name, row, col, row, col)
            array = formula.kind == "array"
            calls.append(
                Call(
                    sheet.name,
                    row,
                    col,
                    text,
                    match.group("name").upper(),
                    runtime_of(match),
                    form_note(match),
                    args,
                    area,
                    array,
                    array and formula.dynamic,
                    single or not array,
                )
            )
    return calls, skipped


def _area_of(sheet: str, ref: str) -> Area:
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?", ref.strip())
    if m is None:
        raise BrokenFormulaError(f"the array range {ref!r} is not a range")
    r1, c1 = int(m.group(2)), column_number(m.group(1))
    r2, c2 = (int(m.group(4)), column_number(m.group(3))) if m.group(3) else (r1, c1)
    return Area(sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))


# --- the formula text -----------------------------------------------------------------------------


def _skip_quoted(text: str, i: int, quote: str) -> int:
    """Index after the closing quote of a quoted run starting at ``i`` (doubled quotes stay inside)."""
    j = i + 1
    while j < len(text):
        if text[j] == quote:
            if j + 1 < len(text) and text[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    raise BrokenFormulaError("a quote is not closed")


def _skip_bracket(text: str, i: int) -> int:
    depth, j = 0, i
    while j < len(text):
        ch = text[j]
        if ch == "'" and depth:  # an escape inside a structured reference: the next character is literal
            j += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise BrokenFormulaError("a [ is not closed")


def split_arguments(text: str, start: int) -> tuple[list[str], int]:
    """The comma-separated arguments from ``start`` (just after "(") and the index of the closing ")"."""
    args, depth, begin, i = [], 0, start, start
    while i < len(text):
        ch = text[i]
        if ch in "\"'":
            i = _skip_quoted(text, i, ch)
            continue
        if ch == "[":
            i = _skip_bracket(text, i)
            continue
        if ch == "{":
            close = text.find("}", i)
            if close < 0:
                raise BrokenFormulaError("a { is not closed")
            i = close + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                args.append(text[begin:i].strip())
                return ([] if args == [""] else args), i
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[begin:i].strip())
            begin = i + 1
        i += 1
    raise BrokenFormulaError("a ( is not closed")


def _masked(text: str) -> list[tuple[int, int]]:
    """Spans of text literals, quoted sheet names and structured references (no calls inside)."""
    spans, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch in "\"'":
            end = _skip_quoted(text, i, ch)
        elif ch == "[":
            end = _skip_bracket(text, i)
        else:
            i += 1
            continue
        spans.append((i, end))
        i = end
    return spans


def _locate(text: str) -> tuple[re.Match[str], list[str], bool] | str:
    """The one call making up the whole formula, its arguments, and whether "@" wraps it; else why not."""
    try:
        spans = _masked(text)
        matches = [m for m in CALL.finditer(text) if not any(a <= m.start() < b for a, b in spans)]
        if not matches:
            return "the function's name appears only inside text"
        match = matches[0]
        args, close = split_arguments(text, match.end())
    except BrokenFormulaError as exc:
        return f"the formula cannot be read ({exc})"
    if len(matches) > 1:
        return "more than one call of xlspv's functions in one formula; the check compares whole cells"
    before = text[: match.start()].strip().lstrip("=").replace(" ", "").upper()
    after = text[close + 1 :].strip()
    if (before, after) in (("", ""), ("@", ""), ("_XLFN.SINGLE(", ")")):
        return match, args, before != ""
    return "the call is inside a larger formula; the check compares cells holding one call only"


# --- arguments ------------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?%?")
_SHEET = r"(?:'(?P<qs>(?:[^']|'')+)'|(?P<ps>[^\s'!:,()\[\]{}\"+\-*/&=<>^;]+))!"
_REF = re.compile(
    rf"(?:{_SHEET})?(?:\$?(?P<c1>[A-Za-z]{{1,3}})\$?(?P<r1>\d+)(?::\$?(?P<c2>[A-Za-z]{{1,3}})\$?(?P<r2>\d+))?"
    r"|\$?(?P<cc1>[A-Za-z]{1,3}):\$?(?P<cc2>[A-Za-z]{1,3})|\$?(?P<rr1>\d+):\$?(?P<rr2>\d+))"
)
_NAME = re.compile(rf"(?:{_SHEET})?(?P<name>[A-Za-z_\\][\w.\\?]*)")
_STRUCTURED = re.compile(r"(?P<table>[A-Za-z_\\][\w.\\]*)?(?P<spec>\[.*\])")
_ANCHOR = re.compile(r"_xlfn\.ANCHORARRAY\((.*)\)", re.IGNORECASE)


def resolve(book: Book, sheet: str, row: int, col: int, text: str, depth: int = 0) -> Arg:
    """What one argument's text refers to, seen from the cell (``sheet``, ``row``, ``col``)."""
    text = text.strip()
    if not text:
        return Arg("missing")
    literal = _literal(text)
    if literal is not None:
        return Arg("value", value=literal[0])
    if text.startswith("{") and text.endswith("}"):
        return Arg("array", value=_array(text))
    m = _REF.fullmatch(text)
    if m is not None:
        return Arg("range", area=_ref_area(book, sheet, m, text))
    m = _ANCHOR.fullmatch(text)
    if m is not None:
        inner = resolve(book, sheet, row, col, m.group(1), depth + 1)
        if inner.kind != "range" or inner.area is None:  # a "range" Arg always carries its area
            raise BrokenFormulaError(f"{text}: ANCHORARRAY needs a cell")
        return Arg("range", area=spill_area(book, inner.area))
    m = _STRUCTURED.fullmatch(text)
    if m is not None:
        return Arg("range", area=_structured(book, sheet, row, col, m.group("table"), m.group("spec")))
    m = _NAME.fullmatch(text)
    if m is not None and depth < 10:
        return _defined_name(book, sheet, row, col, m, depth)
    if re.match(r"\[\d+\]|[^!]*:[^!]*!", text):
        raise UncheckedFormulaError(f"{text}: a reference to another workbook or to several sheets")
    raise UncheckedFormulaError(
        f"{text}: an expression; the check reads references, names and literals, not formulas"
    )


def _literal(text: str) -> tuple[Any] | None:
    if _NUMBER.fullmatch(text):
        return (float(text[:-1]) / 100 if text.endswith("%") else float(text),)
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"' and '"' not in text[1:-1].replace('""', ""):
        return (text[1:-1].replace('""', '"'),)
    if text.upper() in ("TRUE", "FALSE"):
        return (text.upper() == "TRUE",)
    if text.upper() in ERROR_CODES:
        return (ExcelErrorValue(text.upper()),)
    return None


def _array(text: str) -> tuple[tuple[Any, ...], ...]:
    rows = []
    for row_text in text[1:-1].split(";"):
        row = []
        for item in row_text.split(","):
            literal = _literal(item.strip())
            if literal is None:
                raise UncheckedFormulaError(f"{text}: an array constant holding {item.strip()!r}")
            row.append(literal[0])
        rows.append(tuple(row))
    if len({len(r) for r in rows}) != 1:
        raise BrokenFormulaError(f"{text}: the array constant's rows differ in length")
    return tuple(rows)


def _sheet_named(book: Book, m: re.Match[str], default: str, text: str) -> Sheet:
    name = m.group("qs").replace("''", "'") if m.group("qs") else m.group("ps") or default
    found = book.sheet(name)
    if found is None:
        raise BrokenFormulaError(f"{text}: the workbook has no sheet named {name!r}")
    return found


def _ref_area(book: Book, sheet: str, m: re.Match[str], text: str) -> Area:
    target = _sheet_named(book, m, sheet, text)
    if m.group("c1"):
        r1, c1 = int(m.group("r1")), column_number(m.group("c1"))
        r2, c2 = (int(m.group("r2")), column_number(m.group("c2"))) if m.group("c2") else (r1, c1)
    elif m.group("cc1"):
        c1, c2, r1, r2 = (
            column_number(m.group("cc1")),
            column_number(m.group("cc2")),
            1,
            max(1, target.max_row),
        )
    else:
        r1, r2, c1, c2 = int(m.group("rr1")), int(m.group("rr2")), 1, max(1, target.max_col)
    if max(r1, r2) > MAX_ROWS or max(c1, c2) > MAX_COLS or min(r1, r2, c1, c2) < 1:
        raise BrokenFormulaError(f"{text}: outside Excel's grid")
    return Area(target.name, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))


def spill_area(book: Book, anchor: Area) -> Area:
    """The range an array formula at ``anchor``'s top-left cell covers (``B6#``)."""
    sheet = book.sheet(anchor.sheet)
    formula = sheet.formulas.get((anchor.r1, anchor.c1)) if sheet else None
    if formula is None or formula.kind != "array" or not formula.ref:
        raise BrokenFormulaError(f"{anchor}: no array formula there, so {anchor.ref()}# is #REF!")
    return _area_of(anchor.sheet, formula.ref)


def _defined_name(book: Book, sheet: str, row: int, col: int, m: re.Match[str], depth: int) -> Arg:
    name = m.group("name").upper()
    scope = _sheet_named(book, m, sheet, m.group(0)).name if (m.group("qs") or m.group("ps")) else sheet
    definition = book.names.get((scope, name), book.names.get((None, name)))
    if definition is None:
        raise BrokenFormulaError(f"{m.group(0)}: the workbook defines no such name (Excel shows #NAME?)")
    if "#REF!" in definition.upper():
        raise BrokenFormulaError(f"{m.group(0)}: the name refers to {definition} (a deleted range)")
    try:
        return resolve(book, sheet, row, col, definition.lstrip("="), depth + 1)
    except UncheckedFormulaError as exc:
        raise UncheckedFormulaError(f"{m.group(0)} = {definition}: {exc}") from None


def _structured(book: Book, sheet: str, row: int, col: int, table_name: str | None, spec: str) -> Area:
    if table_name:
        table = book.tables.get(table_name.upper())
        if table is None:
            raise BrokenFormulaError(f"{table_name}{spec}: the workbook has no table named {table_name}")
    else:
        table = next(
            (
                t
                for t in book.tables.values()
                if t.sheet == sheet and t.first_row <= row <= t.last_row and t.first_col <= col <= t.last_col
            ),
            None,
        )
        if table is None:
            raise BrokenFormulaError(
                f"{spec}: the cell is in no table, so a reference without a table name fails"
            )
    items = _spec_items(spec[1:-1])
    data_first, data_last = table.first_row + table.header_rows, table.last_row - table.totals_rows
    specials = [s for s in items if s[0].startswith("#") or s[0] == "@"]
    columns = [s for s in items if s not in specials]
    rows: list[tuple[int, int]] = []
    for special, _ in specials or [("#DATA", None)]:
        key = special.upper().replace(" ", "")
        if key == "#ALL":
            rows.append((table.first_row, table.last_row))
        elif key == "#DATA":
            rows.append((data_first, data_last))
        elif key == "#HEADERS" and table.header_rows:
            rows.append((table.first_row, data_first - 1))
        elif key == "#TOTALS" and table.totals_rows:
            rows.append((data_last + 1, table.last_row))
        elif key in ("#THISROW", "@") and data_first <= row <= data_last:
            rows.append((row, row))
        else:
            raise BrokenFormulaError(f"{table.name}{spec}: {special} is not part of the table here")
    r1, r2 = min(r for r, _ in rows), max(r for _, r in rows)
    if columns:
        numbers = [_column(table, name, spec) for pair in columns for name in pair if name is not None]
        c1, c2 = min(numbers), max(numbers)
    else:
        c1, c2 = table.first_col, table.last_col
    return Area(table.sheet, r1, c1, r2, c2)


def _spec_items(inner: str) -> list[tuple[str, str | None]]:
    """``[#Data],[Date]:[Value]`` -> [("#Data", None), ("Date", "Value")]; ``@Value`` -> this row."""
    inner = inner.strip()
    if not inner:
        return []
    if "[" not in inner:  # Flows[Value], Flows[#Data], Flows[@Value]
        if inner.startswith("@"):
            return [("@", None), (_unescape(inner[1:]), None)] if inner[1:] else [("@", None)]
        return [(_unescape(inner), None)]
    items: list[tuple[str, str | None]] = []
    if inner.startswith("@"):
        items.append(("@", None))
        inner = inner[1:]
    for part in _top_level_commas(inner):
        names = re.findall(r"\[((?:[^\]']|'.)*)\]", part)
        if not names:
            raise UncheckedFormulaError(f"[{inner}]: a structured reference the check does not read")
        first = _unescape(names[0])
        items.append((first, _unescape(names[1]) if len(names) > 1 else None))
    return items


def _top_level_commas(text: str) -> list[str]:
    parts, depth, begin = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[" and (i == 0 or text[i - 1] != "'"):
            depth += 1
        elif ch == "]" and (i == 0 or text[i - 1] != "'"):
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[begin:i])
            begin = i + 1
    parts.append(text[begin:])
    return parts


def _unescape(name: str) -> str:
    return re.sub(r"'(.)", r"\1", name.strip())


def _column(table: Any, name: str, spec: str) -> int:
    folded = name.upper()
    for offset, column in enumerate(table.columns):
        if column.upper() == folded:
            return table.first_col + offset
    raise BrokenFormulaError(
        f"{table.name}{spec}: the table has no column {name!r} (columns: {', '.join(table.columns)})"
    )


def area_name(area: Area) -> str:
    """``Sheet!B6:I54`` with the sheet quoted when Excel would quote it."""
    sheet = (
        area.sheet if re.fullmatch(r"[A-Za-z_]\w*", area.sheet) else "'" + area.sheet.replace("'", "''") + "'"
    )
    return f"{sheet}!{area.ref()}"


__all__ = ["Area", "Arg", "Call", "Skipped", "column_letters", "find_calls", "resolve"]
