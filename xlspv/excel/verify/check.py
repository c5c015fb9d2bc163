"""Compute each call found in a workbook with xlspv's Excel functions and compare it with the saved value.

The functions are called exactly as an Office.js runtime calls them: ranges as 2-D lists of the
cells' saved values (blanks ``None``, error values as their text, dates as serial numbers), single
values as they are. ``udfs.py`` then prepares the arguments as it does in Excel, so the check shares
every rule with the cells it checks. Results are compared as Excel shows them: dates as serials,
``#N/A`` / ``#NUM!`` as error values (the classic add-in's texts of them agree too), an input error as
``#VALUE!`` (or, on the classic add-in, its message as text).

Calls are visited in dependency order (a call reading another call's cells comes after it). An input
that is another call's result which disagrees, or another formula never computed, makes the call
"stale"; inputs that are other formulas are read from their saved values and listed in the report.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import inspect
import math
from dataclasses import dataclass, field
from typing import Any

import udfs

from ...dates import serial_from_ordinal
from ...errors import BrokenFormulaError, UncheckedFormulaError
from ...workbooks.verify.book import NEVER, Book, ExcelErrorValue, Sheet, cell_name
from ...workbooks.verify.forms import CALL, counts
from ...workbooks.verify.formulas import Area, Arg, Call, Skipped, _area_of, area_name, resolve

AGREES, DIFFERS, NEVER_COMPUTED, NOT_COMPUTED = "agrees", "differs", "never computed", "not computed"
STALE, OTHER_RUNTIME, BROKEN, UNCHECKED = "stale inputs", "other runtime", "broken", "unchecked"
#: Statuses that fail the check (exit status 1); "unchecked" is reported but does not fail it.
FAILING = (DIFFERS, NEVER_COMPUTED, NOT_COMPUTED, STALE, OTHER_RUNTIME, BROKEN)
#: Saved values meaning the function never ran on that cell.
NOT_RUN = ("#NAME?", "#GETTING_DATA", "#BUSY!", "#CONNECT!", "#BLOCKED!")
#: ``udfs.py`` fixes these parameters to 2-D ranges (``@xw.arg(ndim=2)``); the others take one value.
#: ``tests/test_verify.py`` checks this set against the decorators.
RANGE_PARAMETERS = frozenset({"values", "dates", "terms", "rates", "model"})
#: The parameters ``udfs.py`` computes one waterfall from (its memo's key).
WATERFALL_PARAMETERS = ("values", "dates", "terms")


@dataclass
class CellResult:
    cell: str
    saved: Any
    computed: Any


@dataclass
class CallReport:
    """The outcome for one function cell (a spill's cells all belong to its anchor's report)."""

    sheet: str
    cell: str
    formula: str
    function: str
    runtime: str
    status: str
    message: str = ""
    area: str = ""
    cells: list[CellResult] = field(default_factory=list)  # the cells that disagree
    formula_inputs: list[str] = field(default_factory=list)
    stale_inputs: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.cell}"


@dataclass
class Outcome:
    """What checking a workbook found: a report per call, and the values to write for an update."""

    reports: list[CallReport]
    #: sheet -> cell -> value to save (``None``: clear a cell a shrunken spill no longer covers)
    patches: dict[str, dict[tuple[int, int], Any]] = field(default_factory=dict)
    #: sheet -> anchor cell -> the new ``ref`` of a dynamic array whose size changed
    refs: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)


def agrees(computed: Any, saved: Any, tolerance: float) -> bool:
    """Whether a saved cell shows the computed value; numbers within ``tolerance`` relative (at least 1)."""
    if isinstance(computed, float) and type(saved) is float:
        return abs(computed - saved) <= tolerance * max(1.0, abs(computed), abs(saved))
    if isinstance(computed, ExcelErrorValue):
        if isinstance(saved, ExcelErrorValue):
            return saved.code == computed.code
        return isinstance(saved, str) and saved in (computed.code, computed.message)
    return type(computed) is type(saved) and computed == saved


class Checker:
    """Checks the calls of one workbook; with ``update``, feeds each result to the calls that read it."""

    def __init__(self, book: Book, *, runtime: str, tolerance: float, update: bool = False) -> None:
        self.book, self.runtime, self.tolerance, self.update = book, runtime, tolerance, update
        self._ranges: dict[Area, tuple[tuple[Any, ...], ...]] = {}
        self._results: dict[tuple[Any, ...], list[list[Any]]] = {}
        self._formula_index: dict[str, dict[int, list[int]]] = {}
        self._arrays: dict[str, list[Area]] = {}
        self.outcome = Outcome([])

    # -- driving ------------------------------------------------------------------------------------

    def run(self, calls: list[Call], skipped: list[Skipped]) -> Outcome:
        resolved: dict[int, list[Arg]] = {}
        problems: dict[int, CallReport] = {}
        for i, call in enumerate(calls):
            try:
                resolved[i] = [resolve(self.book, call.sheet, call.row, call.col, a) for a in call.args]
            except (UncheckedFormulaError, BrokenFormulaError) as exc:
                status = UNCHECKED if isinstance(exc, UncheckedFormulaError) else BROKEN
                problems[i] = self._report(call, status, str(exc))
        order, deps = self._order(calls, resolved)
        order = _grouped(order, deps, calls, resolved)
        statuses: dict[int, str] = {}
        for i in order:
            report = problems.get(i)
            if report is None:
                report = self._check(calls[i], resolved[i], deps.get(i, []), calls, statuses)
            statuses[i] = report.status
            self.outcome.reports.append(report)
        for i in set(range(len(calls))) - set(order):
            statuses[i] = UNCHECKED
            self.outcome.reports.append(
                problems.get(i)
                or self._report(calls[i], UNCHECKED, "its inputs depend on its own result (circular)")
            )
        for s in skipped:
            self.outcome.reports.append(
                CallReport(s.sheet, s.cell, s.formula, "", s.runtime, UNCHECKED, s.reason)
            )
        return self.outcome

    def _report(self, call: Call, status: str, message: str = "") -> CallReport:
        return CallReport(
            call.sheet, call.cell, call.formula, call.name, call.runtime, status, message, str(call.area)
        )

    def _order(
        self, calls: list[Call], resolved: dict[int, list[Arg]]
    ) -> tuple[list[int], dict[int, list[int]]]:
        """Calls in dependency order (Kahn), and each call's calls it reads."""
        by_sheet: dict[str, list[int]] = {}
        for i, call in enumerate(calls):
            by_sheet.setdefault(call.sheet, []).append(i)
        deps: dict[int, list[int]] = {}
        for i, args in resolved.items():
            found = {
                j
                for arg in args
                if arg.kind == "range" and arg.area is not None  # a "range" Arg always carries its area
                for j in by_sheet.get(arg.area.sheet, [])
                if calls[j].area.intersects(arg.area)
            }
            if found:
                deps[i] = sorted(found)
        waiting = {i: len(d) for i, d in deps.items()}
        readers: dict[int, list[int]] = {}
        for i, d in deps.items():
            for j in d:
                readers.setdefault(j, []).append(i)
        ready = [i for i in range(len(calls)) if not waiting.get(i)]
        order = []
        while ready:
            i = ready.pop()
            order.append(i)
            for k in readers.get(i, []):
                waiting[k] -= 1
                if waiting[k] == 0:
                    ready.append(k)
        return order, deps

    # -- one call -----------------------------------------------------------------------------------

    def _check(
        self, call: Call, args: list[Arg], deps: list[int], calls: list[Call], statuses: dict[int, str]
    ) -> CallReport:
        report = self._report(call, AGREES)
        if not counts(self.runtime, call.runtime):
            report.status = OTHER_RUNTIME
            report.message = (
                f"stored for the {call.runtime} runtime; the {self.runtime} runtime does not bind it (#NAME?)"
            )
        for j in deps:
            if statuses.get(j, AGREES) not in (AGREES, UNCHECKED):
                report.stale_inputs.append(f"{calls[j].where} ({statuses[j]})")
        for arg in args:
            if arg.kind == "range" and arg.area is not None:  # a "range" Arg always carries its area
                self._formula_inputs(arg.area, call, report)
        try:
            computed = self.compute(call.name, [self._value(a) for a in args])
        except BrokenFormulaError as exc:
            report.status, report.message = BROKEN, str(exc)
            return report
        shown, area, note = self._shape(call, computed)
        saved_anchor = self.book.sheets[call.sheet].values.get((call.row, call.col), NEVER)
        diffs = self._compare(call, shown, area)
        if report.status == AGREES:
            if saved_anchor is NEVER:
                report.status = NEVER_COMPUTED
                report.message = "no saved value: saved without calculating, or written by a program"
            elif isinstance(saved_anchor, ExcelErrorValue) and saved_anchor.code in NOT_RUN:
                report.status = NOT_COMPUTED
                report.message = (
                    f"saved {saved_anchor.code}: xlspv did not compute it (the add-in was not loaded)"
                )
            elif diffs or (note and call.dynamic):  # a fixed array cut short is the user's choice
                report.status = DIFFERS
            elif report.stale_inputs:
                report.status = STALE
        report.message = "; ".join(m for m in (report.message, note, call.note) if m)
        report.cells = diffs
        if self.update:
            self._write(call, shown, area)
        return report

    def _formula_inputs(self, area: Area, call: Call, report: CallReport) -> None:
        """List the other formulas' cells an argument reads; those never computed make the call stale."""
        sheet = self.book.sheets[area.sheet]
        index = self._formula_index.get(area.sheet)
        if index is None:
            index = self._formula_index[area.sheet] = _column_index(sheet)
            self._arrays[area.sheet] = [
                _array_area(sheet.name, f.ref) for f in sheet.formulas.values() if f.kind == "array" and f.ref
            ]
        for col in range(area.c1, area.c2 + 1):
            rows = index.get(col)
            if not rows:
                continue
            for row in rows[bisect.bisect_left(rows, area.r1) : bisect.bisect_right(rows, area.r2)]:
                formula = sheet.formulas[(row, col)]
                if _is_call(formula.text):
                    continue  # another function cell: a dependency, reported by its own status
                where = f"{sheet.name}!{cell_name(row, col)}"
                report.formula_inputs.append(where)
                if sheet.values.get((row, col)) is NEVER:
                    report.stale_inputs.append(f"{where} (a formula never computed)")
        for spill in self._arrays[area.sheet]:
            if spill.intersects(area) and not _is_call(sheet.formulas[(spill.r1, spill.c1)].text):
                missing = [c for c in spill.cells() if c != (spill.r1, spill.c1) and c not in sheet.values]
                if missing:
                    report.stale_inputs.append(f"{area_name(spill)} (an array formula never computed)")

    # -- values -------------------------------------------------------------------------------------

    def _value(self, arg: Arg) -> Any:
        if arg.kind == "range":
            assert arg.area is not None  # resolve() builds every "range" Arg with its area
            return self.read(arg.area)
        if arg.kind == "value":
            return arg.value.code if isinstance(arg.value, ExcelErrorValue) else arg.value
        if arg.kind == "array":
            return tuple(
                tuple(v.code if isinstance(v, ExcelErrorValue) else v for v in row) for row in arg.value
            )
        return None

    def read(self, area: Area) -> tuple[tuple[Any, ...], ...]:
        """The cells of ``area`` as xlwings passes them: blanks None, error values as text."""
        cached = self._ranges.get(area)
        if cached is None:
            values = self.book.sheets[area.sheet].values
            cached = tuple(
                tuple(_input(values.get((r, c))) for c in range(area.c1, area.c2 + 1))
                for r in range(area.r1, area.r2 + 1)
            )
            self._ranges[area] = cached
        return cached

    def compute(self, name: str, values: list[Any]) -> list[list[Any]]:
        """``name`` called on the argument values, once per distinct call; the result as Excel shows it."""
        key = (name, *values)
        result = self._results.get(key)
        if result is None:
            result = self._results[key] = _call(name, values)
        return result

    def _shape(self, call: Call, computed: list[list[Any]]) -> tuple[list[list[Any]], Area, str]:
        """The values the call's cells show, the area they cover, and a note when sizes differ."""
        rows, cols = len(computed), max((len(r) for r in computed), default=0)
        if call.top_left:
            return [[computed[0][0] if rows and cols else ExcelErrorValue("#CALC!")]], call.area, ""
        want_rows, want_cols = call.area.shape
        if call.dynamic:
            area = Area(call.sheet, call.row, call.col, call.row + rows - 1, call.col + cols - 1)
            note = (
                ""
                if (rows, cols) == (want_rows, want_cols)
                else (
                    f"the saved spill covers {call.area.ref()} ({want_rows} x {want_cols}); "
                    f"the result is {rows} x {cols} ({area.ref()})"
                )
            )
            return computed, area, note
        shown = [[_broadcast(computed, r, c, rows, cols) for c in range(want_cols)] for r in range(want_rows)]
        note = (
            ""
            if rows <= want_rows and cols <= want_cols
            else (
                f"the array range {call.area.ref()} shows {want_rows} x {want_cols} "
                f"of a {rows} x {cols} result"
            )
        )
        return shown, call.area, note

    def _compare(self, call: Call, shown: list[list[Any]], area: Area) -> list[CellResult]:
        values = self.book.sheets[call.sheet].values
        diffs = []
        for r, c in area.cells() if area == call.area else sorted(set(area.cells()) | set(call.area.cells())):
            computed = _at(shown, r - area.r1, c - area.c1) if _inside(area, r, c) else None
            saved = values.get((r, c), NEVER)
            if saved is None:
                saved = NEVER
            if computed is None:
                continue  # a cell the saved spill covers and the result does not: the note says so
            if not agrees(computed, saved, self.tolerance):
                diffs.append(CellResult(cell_name(r, c), saved, computed))
        return diffs

    def _write(self, call: Call, shown: list[list[Any]], area: Area) -> None:
        """Record the cells to save for an update, and show them to the calls that read them."""
        sheet = self.book.sheets[call.sheet]
        patches = self.outcome.patches.setdefault(call.sheet, {})
        if call.dynamic and area != call.area:
            blocked = [
                cell_name(r, c)
                for r, c in area.cells()
                if not _inside(call.area, r, c) and ((r, c) in sheet.values or (r, c) in sheet.formulas)
            ]
            if blocked:
                return  # Excel would show #SPILL!: leave the cell as it is; the report says it differs
            self.outcome.refs.setdefault(call.sheet, {})[(call.row, call.col)] = area.ref()
            for r, c in call.area.cells():
                if not _inside(area, r, c):
                    patches[(r, c)] = None
                    sheet.values.pop((r, c), None)
        for r, c in area.cells():
            value = _at(shown, r - area.r1, c - area.c1)
            if not agrees(value, sheet.values.get((r, c), NEVER), 0.0):
                patches[(r, c)] = value
                sheet.values[(r, c)] = value
        self._ranges = {
            a: v for a, v in self._ranges.items() if not a.intersects(area) and not a.intersects(call.area)
        }


# --- helpers --------------------------------------------------------------------------------------


@functools.cache
def _parameters(name: str) -> list[inspect.Parameter]:
    """The parameters of ``udfs.<name>``, in order."""
    return list(inspect.signature(getattr(udfs, name)).parameters.values())


def _call(name: str, values: list[Any]) -> list[list[Any]]:
    """Call the Excel function ``name`` as an Office.js runtime does; the result as a grid of cells.

    Calls on the same flows and terms share one waterfall through ``udfs.py``'s own memo (the
    :class:`Checker` visits them one after another).
    """
    params = _parameters(name)
    required = sum(p.default is inspect.Parameter.empty for p in params)
    if not required <= len(values) <= len(params):
        raise BrokenFormulaError(
            f"{name} takes {required} to {len(params)} arguments; the formula gives {len(values)}"
        )
    converted = [
        _as_range(v) if p.name in RANGE_PARAMETERS else _as_scalar(v)
        for p, v in zip(params, values, strict=False)
    ]
    try:
        result = getattr(udfs, name)(*converted)
    except udfs.ExcelInputError as exc:
        text = str(exc)
        return [[ExcelErrorValue(text.split(" ", 1)[0], text)]]
    if isinstance(result, list):
        return [[_output(cell) for cell in row] for row in result]
    return [[_output(result)]]


def _as_range(value: Any) -> Any:
    if value is None or isinstance(value, tuple):
        return value
    return ((value,),)


def _as_scalar(value: Any) -> Any:
    """A range for a one-value parameter: one cell as its value; a row or column as a list (as xlwings)."""
    if not isinstance(value, tuple):
        return value
    if len(value) == 1 and len(value[0]) == 1:
        return value[0][0]
    if len(value) == 1 or all(len(row) == 1 for row in value):
        return [cell for row in value for cell in row]
    return [list(row) for row in value]


def _input(value: Any) -> Any:
    if value is NEVER:
        return None
    if isinstance(value, ExcelErrorValue):
        return value.code
    return value


def _output(value: Any) -> Any:
    """One result value as Excel shows it: dates as serials, error texts as error values."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return float(serial_from_ordinal(value.toordinal()))
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) or hasattr(value, "dtype"):
        number = float(value)
        return number if math.isfinite(number) else ExcelErrorValue("#NUM!")
    if isinstance(value, str) and value.split(" ", 1)[0] in ("#N/A", "#NUM!", "#VALUE!"):
        return ExcelErrorValue(value.split(" ", 1)[0], value)
    return "" if value is None else str(value)


def _broadcast(grid: list[list[Any]], r: int, c: int, rows: int, cols: int) -> Any:
    """Excel's fill of a fixed array range: one row or column repeats; cells past the result are #N/A."""
    r = 0 if rows == 1 else r
    c = 0 if cols == 1 else c
    return grid[r][c] if r < rows and c < len(grid[r]) else ExcelErrorValue("#N/A")


def _at(grid: list[list[Any]], r: int, c: int) -> Any:
    return grid[r][c] if r < len(grid) and c < len(grid[r]) else ExcelErrorValue("#N/A")


def _inside(area: Area, r: int, c: int) -> bool:
    return area.r1 <= r <= area.r2 and area.c1 <= c <= area.c2


def _column_index(sheet: Sheet) -> dict[int, list[int]]:
    index: dict[int, list[int]] = {}
    for row, col in sheet.formulas:
        index.setdefault(col, []).append(row)
    for rows in index.values():
        rows.sort()
    return index


def _array_area(sheet: str, ref: str) -> Area:
    return _area_of(sheet, ref)


def _is_call(text: str) -> bool:
    return "(" in text and CALL.search(text) is not None


def _grouped(
    order: list[int], deps: dict[int, list[int]], calls: list[Call], resolved: dict[int, list[Arg]]
) -> list[int]:
    """The dependency order; within it, calls on the same flows and terms one after another.

    ``udfs.py`` remembers the last 16 waterfalls: visited together, the calls of one waterfall compute
    it once however the workbook lays them out (a column per party over 50 SPVs would otherwise
    evict each one before its next call). The report is put back in sheet order afterwards.
    """
    groups: dict[tuple[Any, ...], int] = {}

    def group(i: int) -> int:
        args = resolved.get(i, [])
        names = [p.name for p in _parameters(calls[i].name)]
        key = tuple(a for name, a in zip(names, args, strict=False) if name in WATERFALL_PARAMETERS)
        return groups.setdefault(key, len(groups))

    rank = {i: (group(i), i) for i in sorted(order)}
    done: set[int] = set()
    result = []
    pending = sorted(order, key=rank.__getitem__)
    allowed = set(order)
    while pending:
        rest = []
        for i in pending:
            if all(j in done or j not in allowed for j in deps.get(i, [])):
                result.append(i)
                done.add(i)
            else:
                rest.append(i)
        if len(rest) == len(pending):
            break
        pending = rest
    return result
