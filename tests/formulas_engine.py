"""Evaluate an openpyxl-written workbook headless with the ``formulas`` engine, xlspv's UDFs registered.

Excel is not available on Linux, so the template's formulas are recalculated here instead:

- the functions of ``udfs.py`` are registered as ``formulas`` custom functions. Off the xlwings
  server path ``xw.func`` and ``xw.arg`` leave the functions plain Python callables, so the real
  adapters run; this module only does what xlwings's ``@xw.arg(ndim=2, err_to_str=True)`` does with
  the cells Excel passes (2-D lists, blanks as ``None``, error cells as their text) and what Excel
  does with the result (dates become serials, "#N/A" / "#NUM!" become error values, an input error
  becomes ``#VALUE!``);
- ``formulas`` does not parse structured references, so ``Flows[Value]`` is rewritten into the
  table column's absolute range before loading (a rewritten copy; the file itself is not touched);
- array formulas are evaluated over their fixed ``ref`` (the ``cm`` dynamic-array marking is ignored),
  which is what older Excel and LibreOffice do too.

``formulas`` is slow (about 10 s per 3,000 formulas): keep workbooks evaluated here small.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import formulas
import numpy as np
import openpyxl
import schedula
from formulas.functions import wrap_ranges_func
from formulas.tokens.operand import Error, XlError
from openpyxl.utils import quote_sheetname
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

import udfs
from xlspv.dates import serial_from_ordinal

#: How each UDF's arguments arrive in Python: "range" as a 2-D list (``@xw.arg(ndim=2)``), "scalar"
#: as one value. Kept in step with the decorators in ``udfs.py`` (checked by a test).
UDF_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "SPV_PAYOUT": ("range", "range", "scalar", "range"),
    "SPV_IRR": ("range", "range", "scalar", "range", "scalar"),
    "THRESHOLD_DATE": ("range", "range", "range"),
    "SPV_WATERFALL": ("range", "range", "range", "scalar"),
    "SPV_RATE_GRID": ("range", "range", "range", "range", "scalar"),
    "SPV_VERSION": (),
    "SPV_RISK": ("range", "range", "range", "scalar", "scalar", "range"),
}
_ERROR_TEXTS = ("#N/A", "#NUM!", "#VALUE!", "#DIV/0!", "#NAME?", "#REF!", "#NULL!")


def _cell_in(value: Any) -> Any:
    """One cell as xlwings hands it to Python: blanks None, numbers float, error cells as text."""
    if value is schedula.EMPTY or value is None:
        return None
    if isinstance(value, XlError):
        return str(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return value


def _range_in(value: Any) -> list[list[Any]]:
    array = np.asarray(value, dtype=object)
    if array.ndim < 2:
        array = array.reshape(1, -1)
    return [[_cell_in(cell) for cell in row] for row in array]


def _scalar_in(value: Any) -> Any:
    array = np.asarray(value, dtype=object)
    if array.size != 1:
        raise ValueError(f"a single cell is due here, got a {array.shape} range")
    return _cell_in(array.reshape(-1)[0])


def _cell_out(value: Any) -> Any:
    """One result value as Excel shows it: dates as serials, error strings as error values."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return float(serial_from_ordinal(value.toordinal()))
    if isinstance(value, str) and value.split(" ", 1)[0] in _ERROR_TEXTS:
        return Error.errors[value.split(" ", 1)[0]]
    return value


def _excel_function(func: Callable[..., Any], kinds: tuple[str, ...]) -> Callable[..., Any]:
    @functools.wraps(func)
    def call(*args: Any) -> Any:
        # zip stops at the arguments given: optional ones left out keep the function's default.
        converted = [
            _range_in(arg) if kind == "range" else _scalar_in(arg)
            for kind, arg in zip(kinds, args, strict=False)
        ]
        try:
            result = func(*converted)
        except udfs.ExcelInputError:
            return Error.errors["#VALUE!"]
        if isinstance(result, list):
            return np.array([[_cell_out(cell) for cell in row] for row in result], dtype=object)
        return _cell_out(result)

    return wrap_ranges_func(call)


def register_udfs(*, connected: bool = True) -> None:
    """Register every function of ``udfs.__all__`` with ``formulas``.

    ``connected=False`` registers stand-ins that return ``#NAME?``, as Excel shows the cells of a
    workbook opened without the add-in.
    """
    functions = formulas.get_functions()
    for name in udfs.__all__:
        if connected:
            functions[name] = _excel_function(getattr(udfs, name), UDF_ARGUMENTS[name])
        else:
            functions[name] = wrap_ranges_func(lambda *args: Error.errors["#NAME?"])


def _table_ranges(wb: openpyxl.Workbook) -> dict[tuple[str, str], str]:
    """(TABLE, COLUMN) in upper case -> absolute range of that column's data rows."""
    ranges = {}
    for ws in wb.worksheets:
        for table in ws.tables.values():
            first_col, first_row, _, last_row = range_boundaries(table.ref)
            for offset, column in enumerate(table.tableColumns):
                letter = get_column_letter(first_col + offset)
                ranges[(table.displayName.upper(), column.name.upper())] = (
                    f"{quote_sheetname(ws.title)}!${letter}${first_row + 1}:${letter}${last_row}"
                )
    return ranges


def inline_structured_references(formula: str, ranges: Mapping[tuple[str, str], str]) -> str:
    """``=SUM(Flows[Value])`` -> ``=SUM(Inputs!$B$6:$B$53)``; other text is left as it is."""

    def replace(match: re.Match[str]) -> str:
        key = (match.group(1).upper(), match.group(2).strip().upper())
        if key not in ranges:
            raise ValueError(f"unknown structured reference {match.group(0)!r} in {formula!r}")
        return ranges[key]

    return re.sub(r"\b([A-Za-z_][\w.]*)\[([^\[\]]+)\]", replace, formula)


def _rewritten_copy(path: Path, directory: Path) -> tuple[Path, int]:
    """A copy with structured references inlined, and the number of formula cells."""
    wb = openpyxl.load_workbook(path)
    ranges = _table_ranges(wb)
    count = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, ArrayFormula):
                    cell.value.text = inline_structured_references(cell.value.text, ranges)
                    count += 1
                elif cell.data_type == "f" and isinstance(cell.value, str):
                    cell.value = inline_structured_references(cell.value, ranges)
                    count += 1
    copy = directory / path.name
    wb.save(copy)
    return copy, count


class Evaluation:
    """Computed values of a workbook, by sheet title and cell (``ev["Results", "B6"]``)."""

    def __init__(self, values: dict[tuple[str, str], Any], formula_count: int) -> None:
        self._values = values
        self.formula_count = formula_count

    def __getitem__(self, key: tuple[str, str]) -> Any:
        sheet, cell = key
        return self._values.get((sheet.upper(), cell.replace("$", "").upper()))

    def range(self, sheet: str, ref: str) -> list[list[Any]]:
        """The values of a rectangular range, row by row."""
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        return [
            [self[sheet, f"{get_column_letter(c)}{r}"] for c in range(min_col, max_col + 1)]
            for r in range(min_row, max_row + 1)
        ]


def _python(value: Any) -> Any:
    if value is schedula.EMPTY:
        return None
    if isinstance(value, XlError):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def evaluate(
    path: str | Path, inputs: Mapping[str, Any] | None = None, *, connected: bool = True
) -> Evaluation:
    """Recalculate every formula of the workbook at ``path``; return the values of every cell.

    ``inputs`` overrides input cells before calculating, keyed ``"Sheet!A1"``; ``connected=False``
    evaluates as Excel would without the add-in (see :func:`register_udfs`).
    """
    path = Path(path)
    register_udfs(connected=connected)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            copy, formula_count = _rewritten_copy(path, Path(tmp))
            model = formulas.ExcelModel().loads(str(copy)).finish()
            overrides = {_node(copy.name, key): value for key, value in (inputs or {}).items()}
            solution = model.calculate(inputs=overrides or None)
    finally:
        register_udfs()
    values: dict[tuple[str, str], Any] = {}
    for key, ranges in solution.items():
        match = re.fullmatch(r"'\[[^\]]+\](.+)'!([A-Z]+\d+)(?::([A-Z]+\d+))?", key)
        if match is None:
            continue  # a defined name's own node
        sheet, start, end = match.group(1), match.group(2), match.group(3) or match.group(2)
        array = np.asarray(ranges.value if hasattr(ranges, "value") else ranges, dtype=object)
        min_col, min_row, max_col, max_row = range_boundaries(f"{start}:{end}")
        array = np.broadcast_to(array, (max_row - min_row + 1, max_col - min_col + 1))
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                cell = f"{get_column_letter(c)}{r}"
                values[(sheet.upper(), cell)] = _python(array[r - min_row, c - min_col])
    return Evaluation(values, formula_count)


def _node(book: str, key: str) -> str:
    """``"Inputs!A10"`` -> the engine's node name ``"'[book.xlsx]INPUTS'!A10"``."""
    sheet, cell = key.rsplit("!", 1)
    return f"'[{book}]{sheet.strip(chr(39)).upper()}'!{cell.replace('$', '').upper()}"
