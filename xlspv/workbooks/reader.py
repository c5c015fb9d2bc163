"""Read one SPV's inputs from a filled template (xlsx) or a CSV file, checked once, never modified.

- A workbook: the cash flows come from the Excel table ``Flows`` (columns Date, Value and optionally
  Note, found by their header names wherever the table sits), or, without that table, from a sheet
  named ``Inputs`` whose header row holds Date and Value; rows typed just below the table's end are
  read too (LibreOffice does not grow tables). The terms come from the table or the workbook name
  ``Terms`` (the template's ``Terms!A5:C16``: Term, Value, Effective from), or else from a sheet named
  ``Terms``; columns are found by their header names. The third column, the effective date, is blank
  except on the rows of a dated deemed-rate schedule (several ``deemed_rate`` rows, one per date);
  blank rows are skipped.
- A CSV file: a ``date,value[,note]`` header, dates written ``YYYY-MM-DD``; the terms are the command
  line's options.

Every problem is one :class:`~xlspv.errors.SpvInputError` (or :class:`~xlspv.errors.TermsError`) that
names the file, the sheet and cell (or the CSV line) and says how to fix it. Macro-enabled workbooks
(``.xlsm`` or any package holding ``vbaProject.bin``) are refused before anything is parsed. Workbooks
are parsed by openpyxl with ``defusedxml`` installed, which makes it refuse XML entity attacks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cells import check_text, is_blank, parse_date, parse_number
from ..dates import to_date
from ..errors import MacroWorkbookError as MacroWorkbookError  # part of this module's interface
from ..errors import SpvInputError, TermsError
from ..terms import Terms
from .files import MACRO_SUFFIXES, check_workbook_package, sha256_of
from .package import EXCEL_MAX_ROWS, guarded_reader
from .sources import csv_lines, open_workbook

FLOWS_TABLE = "Flows"
FLOWS_SHEET = "Inputs"
TERMS_TABLE = "Terms"
TERMS_SHEET = "Terms"
WORKBOOK_SUFFIXES = (".xlsx", ".xltx")
_HEADER_SEARCH_ROWS = 30


@dataclass(frozen=True)
class TermRow:
    """One name/value row of a Terms range, with where it came from (for error messages)."""

    name: Any
    value: Any
    effective: Any = None
    where: str = ""  # "sheet Terms, cell B7" (the value cell)
    name_where: str = ""  # "sheet Terms, cell A7"
    effective_where: str = ""  # "sheet Terms, cell C7"; empty when the range has no effective-date column


@dataclass(frozen=True)
class SpvInput:
    """One SPV's cash flows (input order) and its raw terms, as read from a file or the example.

    ``source`` is the file read (``None`` for the built-in example); ``name`` the project's name for
    titles (the file's stem by default). ``term_rows`` are the workbook's Terms rows (empty for a CSV).
    ``sha256`` is the file's hash as read, for the report's Cover.
    """

    dates: list[dt.date]
    values: list[float]
    notes: list[str]
    source: Path | None = None
    name: str = ""
    term_rows: list[TermRow] = field(default_factory=list)
    terms_found: bool = False
    sha256: str | None = None  # of the file's bytes, taken before it was parsed

    def terms(self, **overrides: Any) -> Terms:
        """The validated terms: the workbook's rows, each replaced by an override given (not None).

        Raises :class:`TermsError` naming the file, sheet and cell of a bad workbook term.
        """
        given = {key: value for key, value in overrides.items() if value is not None}
        rows = [row for row in self.term_rows if _term_key(row.name) not in given]
        if not rows and "deemed_rate" not in given:
            where = f"{self.source.name}: " if self.source is not None else ""
            if self.source is not None and self.source.suffix.lower() == ".csv":
                raise TermsError(
                    f"{where}a CSV file carries no terms; pass --deemed-rate (e.g. --deemed-rate 0.055) "
                    "and any other term as options."
                )
            if self.source is not None and not self.terms_found:
                raise TermsError(
                    f"{where}no Terms table or sheet; add the Terms sheet of the template (xlspv template) "
                    "or pass --deemed-rate."
                )
        mapping = [(row.name, row.value, row.effective) for row in rows] + list(given.items())
        try:
            return Terms.from_mapping(mapping)
        except TermsError as exc:
            raise TermsError(self._locate(str(exc), rows, given)) from None

    def _locate(self, message: str, rows: list[TermRow], given: dict[str, Any]) -> str:
        """Prefix a terms message with the file and the cell it is about, when it is a workbook's."""
        head = message.split(":", 1)[0]
        if self.source is None or not rows or head in given:
            return message  # the example's terms, or an option's value: the message names the term
        prefix = self.source.name
        match = re.match(r"terms row (\d+): ", message)
        if match and int(match.group(1)) <= len(rows):
            row = rows[int(match.group(1)) - 1]
            text = message[match.end() :]
            column = re.search(r"cell ([A-Z]+)\d+$", row.effective_where)
            if column:  # the template's words: name the effective-date column a schedule needs
                text = text.replace("in the third column", f"in column {column.group(1)}")
            return f"{prefix}, {row.name_where}: {text}"
        if message.startswith("deemed_rate: give either one rate or dated rows"):
            undated = [r for r in rows if _term_key(r.name) == "deemed_rate" and is_blank(r.effective)]
            if undated:  # the rate without a date is the one to fix
                return f"{prefix}, {undated[0].effective_where or undated[0].where}: {message}"
        for row in rows:
            if _term_key(row.name) == head:
                return f"{prefix}, {row.where}: {message}"
        return f"{prefix}, sheet {TERMS_SHEET}: {message}"


def _term_key(name: Any) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_") if isinstance(name, str) else ""


def _header_key(value: Any) -> str:
    """A header cell's text, lower case, without a unit such as ``($m)`` or ``, $m``."""
    if not isinstance(value, str):
        return ""
    text = re.sub(r"\(.*\)|\[.*\]", "", value).split(",")[0]  # "Value ($m)", "Value, $m"
    return text.strip().lower()


_NOTE_HEADERS = ("note", "notes", "comment", "comments", "description")


@guarded_reader()  # a device, pipe or oversized file is refused before it is hashed
def read_input(path: str | Path) -> SpvInput:
    """Read a filled template (.xlsx) or a CSV file; see the module's docstring.

    Raises :class:`SpvInputError` (or :class:`MacroWorkbookError`) naming the file, sheet and cell.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "flows.csv"
    >>> _ = path.write_text("date,value,note\\n2025-01-01,-100,funding\\n2026-01-01,220,\\n")
    >>> spv = read_input(path)
    >>> spv.values, spv.notes
    ([-100.0, 220.0], ['funding', ''])
    >>> spv.terms(deemed_rate="10%").deemed_rate
    0.1
    >>> macro = path.with_name("flows.xlsm")
    >>> _ = macro.write_bytes(b"")
    >>> read_input(macro)
    Traceback (most recent call last):
    ...
    xlspv.errors.MacroWorkbookError: flows.xlsm: macro-enabled workbooks (.xlsm) are refused; ...
    """
    p = Path(path)
    if not p.exists():
        raise SpvInputError(f"{p}: no such file; check the path.")
    if p.is_dir():
        raise SpvInputError(f"{p}: is a folder; give an .xlsx or .csv file.")
    digest = sha256_of(p)
    suffix = p.suffix.lower()
    if suffix in MACRO_SUFFIXES:
        check_workbook_package(p)  # refuses it, naming the suffix
    if suffix == ".csv":
        return dataclasses.replace(read_csv(p), sha256=digest)
    if suffix == ".xls":
        raise SpvInputError(f"{p.name}: an Excel 97-2003 workbook (.xls) cannot be read; save it as .xlsx.")
    if suffix not in WORKBOOK_SUFFIXES:
        raise SpvInputError(
            f"{p.name}: not an .xlsx workbook or a .csv file; give the filled template (.xlsx) or a CSV "
            "file with a date,value[,note] header."
        )
    return dataclasses.replace(read_workbook(p), sha256=digest)


# --- workbooks ------------------------------------------------------------------------------------


def _load(p: Path, *, data_only: bool) -> Any:
    return open_workbook(p, data_only=data_only)


def _find_table(wb: Any, name: str) -> tuple[Any, Any] | None:
    for ws in wb.worksheets:
        for table_name in ws.tables:
            if table_name.lower() == name.lower():
                return ws, ws.tables[table_name]
    return None


def _find_sheet(wb: Any, name: str) -> Any | None:
    for ws in wb.worksheets:
        if ws.title.strip().lower() == name.lower():
            return ws
    return None


def _find_header_row(ws: Any, wanted: Iterable[str]) -> int | None:
    """First row (of the first 30) holding every ``wanted`` header name."""
    wanted = set(wanted)
    last = min(ws.max_row, _HEADER_SEARCH_ROWS)
    for row in ws.iter_rows(min_row=1, max_row=last):
        keys = {_header_key(cell.value) for cell in row}
        if wanted <= keys:
            return row[0].row
    return None


@dataclass(frozen=True)
class _Block:
    """Where a table's rows are: sheet, header row, first and last data rows, columns by header."""

    ws: Any
    label: str  # "sheet Inputs, table Flows"
    header_row: int
    first_row: int
    last_row: int
    columns: dict[str, int]  # header key -> column index


def _columns(ws: Any, row: int, min_col: int, max_col: int) -> dict[str, int]:
    columns: dict[str, int] = {}
    for col in range(min_col, max_col + 1):
        key = _header_key(ws.cell(row=row, column=col).value)
        if key and key not in columns:
            columns[key] = col
    return columns


def _flows_block(p: Path, wb: Any) -> _Block:
    from openpyxl.utils import range_boundaries

    found = _find_table(wb, FLOWS_TABLE)
    if found is not None:
        ws, table = found
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        totals = table.totalsRowCount or 0
        label = f"sheet {ws.title}, table {table.displayName}"
        header = min_row
        block = _Block(
            ws, label, header, header + 1, max_row - totals, _columns(ws, header, min_col, max_col)
        )
    else:
        ws = _find_sheet(wb, FLOWS_SHEET)
        if ws is None:
            raise SpvInputError(
                f"{p.name}: no sheet {FLOWS_SHEET!r} and no table {FLOWS_TABLE!r}; use the template "
                f"(xlspv template) or add a sheet named {FLOWS_SHEET} with Date and Value columns."
            )
        header = (
            _find_header_row(ws, ("date", "value"))
            or _find_header_row(ws, ("date",))
            or _find_header_row(ws, ("value",))
        )
        if header is None:
            raise SpvInputError(
                f"{p.name}, sheet {ws.title}: no header row with Date and Value columns (searched rows 1-"
                f"{_HEADER_SEARCH_ROWS}); add a row with the headers Date, Value and Note above the data."
            )
        block = _Block(
            ws, f"sheet {ws.title}", header, header + 1, ws.max_row, _columns(ws, header, 1, ws.max_column)
        )
    for key, fix in (
        ("date", "the date of each cash flow"),
        ("value", "fundings negative, distributions positive"),
    ):
        if key not in block.columns:
            raise SpvInputError(
                f"{p.name}, {block.label}: no {key.capitalize()!r} column in the header (row "
                f"{block.header_row}); add a column headed {key.capitalize()} ({fix})."
            )
    return block


_VALUE_FIX = "enter a number (fundings negative, distributions positive)"


def _cell_value(p: Path, where: str, value: Any) -> float:
    return parse_number(value, f"{p.name}, {where}", "xlsx", _VALUE_FIX)


def _cell_date(p: Path, where: str, value: Any) -> dt.date:
    return to_date(parse_date(value, f"{p.name}, {where}", "xlsx"))


def _formula_without_result(p: Path, ws_title: str, coordinate: str) -> bool:
    """Whether a cell that reads blank holds a formula whose result was never saved."""
    formulas = _load(p, data_only=False)
    value = formulas[ws_title][coordinate].value
    return isinstance(value, str) and value.startswith("=")


def _peek(ws: Any, row: int, column: int) -> Any:
    """A cell's value without creating the cell: ``ws.cell`` adds one per call, so a sheet with one
    cell typed at row 1,048,576 would grow three million cells (a minute, a gigabyte) on the way there."""
    cells = getattr(ws, "_cells", None)
    if cells is None:
        return ws.cell(row=row, column=column).value
    cell = cells.get((row, column))
    return None if cell is None else cell.value


def _read_flows(p: Path, block: _Block) -> tuple[list[dt.date], list[float], list[str]]:
    from openpyxl.utils import get_column_letter

    ws = block.ws
    date_col, value_col = block.columns["date"], block.columns["value"]
    note_col = next((block.columns[k] for k in _NOTE_HEADERS if k in block.columns), None)
    raw: list[tuple[int, Any, Any, Any]] = []
    row = block.first_row
    end = min(ws.max_row, EXCEL_MAX_ROWS)  # below the sheet's last used row (or the grid) all is blank
    while True:  # the table's rows, then any typed just below it
        if row > end:
            break
        date, value = _peek(ws, row, date_col), _peek(ws, row, value_col)
        if row > block.last_row and is_blank(date) and is_blank(value):
            break
        note = _peek(ws, row, note_col) if note_col else None
        raw.append((row, date, value, note))
        row += 1
    _refuse_data_below_a_gap(p, ws, row, date_col, value_col)
    while raw and is_blank(raw[-1][1]) and is_blank(raw[-1][2]):
        raw.pop()  # blank rows at the end of the table are not data
    if not raw:
        raise SpvInputError(
            f"{p.name}, {block.label}: no cash flows below the header (row {block.header_row}); "
            "enter at least one date and value."
        )
    dates: list[dt.date] = []
    values: list[float] = []
    notes: list[str] = []
    date_letter, value_letter = get_column_letter(date_col), get_column_letter(value_col)
    for row, date, value, note in raw:
        for letter, cell, what in ((date_letter, date, "date"), (value_letter, value, "value")):
            if is_blank(cell):
                where = f"{p.name}, sheet {ws.title}, cell {letter}{row}"
                if _formula_without_result(p, ws.title, f"{letter}{row}"):
                    raise SpvInputError(
                        f"{where}: holds a formula whose result was never saved; open and save the file "
                        "in Excel or LibreOffice, or type the value."
                    )
                fix = "enter 0 or delete the row" if what == "value" else "enter the date or delete the row"
                raise SpvInputError(f"{where}: the {what} is blank inside the data; {fix}.")
        dates.append(_cell_date(p, f"sheet {ws.title}, cell {date_letter}{row}", date))
        values.append(_cell_value(p, f"sheet {ws.title}, cell {value_letter}{row}", value))
        if note_col:
            check_text(note, f"{p.name}, sheet {ws.title}, cell {get_column_letter(note_col)}{row}")
        notes.append("" if note is None else str(note))
    return dates, values, notes


def _refuse_data_below_a_gap(p: Path, ws: Any, gap: int, date_col: int, value_col: int) -> None:
    """A date or value typed below blank rows is data too: refuse it rather than silently drop it."""
    for row in range(gap + 1, (ws.max_row or 0) + 1):
        if not (is_blank(_peek(ws, row, date_col)) and is_blank(_peek(ws, row, value_col))):
            rows = f"row {gap} is" if row == gap + 1 else f"rows {gap}-{row - 1} are"
            raise SpvInputError(
                f"{p.name}, sheet {ws.title}: {rows} blank inside the data (it goes on at row {row}); "
                "delete the blank rows or fill them in."
            )


def _terms_block(wb: Any) -> _Block | None:
    from openpyxl.utils import range_boundaries

    found = _find_table(wb, TERMS_TABLE)
    if found is not None:
        ws, table = found
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        if table.headerRowCount == 0:
            columns = _unlabelled_columns(min_col, max_col)
            return _Block(
                ws, f"sheet {ws.title}, table {table.displayName}", min_row - 1, min_row, max_row, columns
            )
        columns = _columns(ws, min_row, min_col, max_col)
        label = f"sheet {ws.title}, table {table.displayName}"
        return _Block(ws, label, min_row, min_row + 1, max_row - (table.totalsRowCount or 0), columns)
    named = _named_range(wb, TERMS_TABLE)
    if named is not None:
        ws, (min_col, min_row, max_col, max_row) = named
        label = f"sheet {ws.title}, range {TERMS_TABLE}"
        header = min_row - 1  # the template's header row sits just above the named rows
        columns = _columns(ws, header, min_col, max_col) if header >= 1 else {}
        if "value" not in columns:
            columns = _unlabelled_columns(min_col, max_col)
        return _Block(ws, label, header, min_row, max_row, columns)
    ws = _find_sheet(wb, TERMS_SHEET)
    if ws is None:
        return None
    header_row = _find_header_row(ws, ("value",))
    if header_row is None:
        return _Block(ws, f"sheet {ws.title}", 0, 1, ws.max_row, {})
    last = header_row
    while last < ws.max_row and any(not is_blank(c.value) for c in ws[last + 1]):
        last += 1  # the block ends at the first blank row (notes and settings may follow)
    columns = _columns(ws, header_row, 1, ws.max_column)
    return _Block(ws, f"sheet {ws.title}", header_row, header_row + 1, last, columns)


def _unlabelled_columns(min_col: int, max_col: int) -> dict[str, int]:
    """A Terms range without headers: name, value and, when there is a third column, the effective date."""
    columns = {"name": min_col, "value": min_col + 1}
    if max_col >= min_col + 2:
        columns["effective"] = min_col + 2
    return columns


def _named_range(wb: Any, name: str) -> tuple[Any, tuple[int, int, int, int]] | None:
    """The sheet and bounds of a workbook-level defined name that points at one range."""
    from openpyxl.utils import range_boundaries

    defined = next((d for key, d in wb.defined_names.items() if key.lower() == name.lower()), None)
    if defined is None:
        return None
    try:
        destinations = list(defined.destinations)
    except (AttributeError, ValueError, TypeError):
        return None
    if len(destinations) != 1 or destinations[0][0] not in wb.sheetnames:
        return None
    title, ref = destinations[0]
    return wb[title], range_boundaries(ref.replace("$", ""))


def _read_terms(block: _Block) -> list[TermRow]:
    from openpyxl.utils import get_column_letter

    ws = block.ws
    known = set(Terms.__dataclass_fields__)
    columns = block.columns
    name_col = next((columns[k] for k in ("name", "term", "terms") if k in columns), None)
    value_col = columns.get("value")
    if value_col is None or name_col is None:
        # No usable header: the rows whose first cell names a term, value in the next column.
        name_col, value_col = 1, 2
        strict = False
    else:
        strict = True
    effective_col = next(
        (col for key, col in columns.items() if "effective" in key or key in ("from", "date", "since")), None
    )
    rows: list[TermRow] = []
    for row in range(block.first_row, block.last_row + 1):
        name = ws.cell(row=row, column=name_col).value
        if not strict and _term_key(name) not in known:
            continue
        value = ws.cell(row=row, column=value_col).value
        effective = ws.cell(row=row, column=effective_col).value if effective_col else None
        if is_blank(name) and is_blank(value) and is_blank(effective):
            continue
        rows.append(
            TermRow(
                name=name,
                value=value,
                effective=effective,
                where=f"sheet {ws.title}, cell {get_column_letter(value_col)}{row}",
                name_where=f"sheet {ws.title}, cell {get_column_letter(name_col)}{row}",
                effective_where=(
                    f"sheet {ws.title}, cell {get_column_letter(effective_col)}{row}" if effective_col else ""
                ),
            )
        )
    return rows


def read_workbook(path: str | Path) -> SpvInput:
    """Read the Flows table and the Terms of a filled template (see the module's docstring)."""
    p = Path(path)
    wb = _load(p, data_only=True)  # which refuses macros and damaged packages first
    try:
        dates, values, notes = _read_flows(p, _flows_block(p, wb))
        terms_block = _terms_block(wb)
        term_rows = _read_terms(terms_block) if terms_block is not None else []
    finally:
        wb.close()
    return SpvInput(
        dates=dates,
        values=values,
        notes=notes,
        source=p,
        name=p.stem,
        term_rows=term_rows,
        terms_found=terms_block is not None,
    )


# --- CSV ------------------------------------------------------------------------------------------


def read_csv(path: str | Path) -> SpvInput:
    """Read a ``date,value[,note]`` CSV file (UTF-8, dates ``YYYY-MM-DD``); terms come from options."""
    p = Path(path)
    lines = csv_lines(p)
    header_at = next((i for i, (_, row) in enumerate(lines) if any(c.strip() for c in row)), None)
    if header_at is None:
        raise SpvInputError(
            f"{p.name}: the file is empty; write a date,value[,note] header and one line per cash flow."
        )
    header_line, header = lines[header_at]
    keys = [_header_key(c) for c in header]
    if "date" not in keys or "value" not in keys:
        raise SpvInputError(
            f"{p.name}, line {header_line}: the header must name the columns date,value[,note] "
            f"(found {','.join(c.strip() for c in header)!r}); put that header on the first line."
        )
    twice = next((k for k in ("date", "value", *_NOTE_HEADERS) if keys.count(k) > 1), None)
    if twice is not None:  # which of the two is meant is a guess: refused, as the portfolio reader does
        raise SpvInputError(f"{p.name}, line {header_line}: column {twice!r} appears twice; keep one.")
    date_i, value_i = keys.index("date"), keys.index("value")
    note_i = next((keys.index(k) for k in _NOTE_HEADERS if k in keys), None)
    body = lines[header_at + 1 :]
    while body and not any(c.strip() for c in body[-1][1]):
        body.pop()  # blank lines at the end
    if not body:
        raise SpvInputError(
            f"{p.name}: no cash flows below the header; add one date,value line per cash flow."
        )
    dates: list[dt.date] = []
    values: list[float] = []
    notes: list[str] = []
    for line, row in body:
        extra = next((i for i in range(len(keys), len(row)) if row[i].strip()), None)
        if extra is not None:  # never drop a field silently
            raise SpvInputError(
                f"{p.name}, line {line}: column {extra + 1} holds {row[extra]!r} but has no column name "
                f"(the header, line {header_line}, has {len(keys)}); name the column or clear it."
            )
        cells = list(row) + [""] * (len(keys) - len(row))
        for index, what in ((date_i, "date"), (value_i, "value")):
            if not cells[index].strip():
                fix = "enter 0 or delete the line" if what == "value" else "enter the date or delete the line"
                raise SpvInputError(f"{p.name}, line {line}, column {what}: blank inside the data; {fix}.")
        dates.append(to_date(parse_date(cells[date_i], f"{p.name}, line {line}, column date", "csv")))
        values.append(parse_number(cells[value_i], f"{p.name}, line {line}, column value", "csv"))
        note = cells[note_i] if note_i is not None else ""
        check_text(note, f"{p.name}, line {line}, column note")
        notes.append(note.strip())
    return SpvInput(dates=dates, values=values, notes=notes, source=p, name=p.stem)


def example_input() -> SpvInput:
    """The built-in example as an input (no file; terms from :data:`xlspv.examples.spv.TERMS`)."""
    from ..examples import spv as example

    rows = [TermRow(name, value, effective) for name, value, effective in term_rows_of(example.TERMS)]
    return SpvInput(
        dates=example.dates(),
        values=example.values(),
        notes=example.notes(),
        source=None,
        name=example.NAME,
        term_rows=rows,
        terms_found=True,
    )


def term_rows_of(terms: Terms) -> list[tuple[str, Any, dt.date | None]]:
    """(name, value, effective date) rows that :meth:`Terms.from_mapping` reads back to ``terms``."""
    return terms.as_range()
