"""``xlspv verify``: check the saved results of xlspv's functions headless; write a copy carrying them.

An adapter over ``udfs.py``, like the command line: :func:`verify` reads the workbook with the file
layer (:mod:`xlspv.workbooks.verify`: each sheet's XML scanned once, the calls of xlspv's functions
found in any runtime's stored form, their arguments resolved from the saved cells), computes each call
with the very functions Excel calls (:mod:`.check`) and compares the result with the saved value, every
cell of a spill included. No generic spreadsheet engine recalculates the workbook, and identical calls
are computed once. :func:`update` writes a copy whose saved values are xlspv's results (the file
layer's :mod:`~xlspv.workbooks.verify.patch`). ``docs/verify.md`` is the user's account, with the CI
recipe.

>>> from xlspv.excel.verify import Report
>>> Report("book.xlsx", "any", 1e-9, []).exit_code  # no function cell at all fails: values pasted over?
1
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import SpvInputError
from ...workbooks.files import check_output
from ...workbooks.package import check_regular_file
from ...workbooks.verify.book import NEVER, ExcelErrorValue, column_number, read_book
from ...workbooks.verify.forms import RUNTIMES
from ...workbooks.verify.formulas import find_calls
from .check import (
    AGREES,
    BROKEN,
    DIFFERS,
    FAILING,
    NEVER_COMPUTED,
    NOT_COMPUTED,
    OTHER_RUNTIME,
    STALE,
    UNCHECKED,
    CallReport,
    Checker,
)

DEFAULT_TOLERANCE = 1e-9
#: Statuses in the order the summary counts them.
STATUSES = (AGREES, DIFFERS, NEVER_COMPUTED, NOT_COMPUTED, STALE, OTHER_RUNTIME, BROKEN, UNCHECKED)


@dataclass
class Report:
    """The outcome of :func:`verify`: one :class:`CallReport` per function cell."""

    path: str
    runtime: str
    tolerance: float
    calls: list[CallReport]
    written: str | None = None
    updated_cells: int = 0
    counts: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = {status: sum(c.status == status for c in self.calls) for status in STATUSES}

    @property
    def ok(self) -> bool:
        return any(c.status == AGREES for c in self.calls) and not any(
            c.status in FAILING for c in self.calls
        )

    @property
    def exit_code(self) -> int:
        """0 when every call agrees (unchecked ones aside), 1 otherwise, or when there is no call at all."""
        return 0 if self.ok else 1

    def lines(self, per_call: int = 20) -> list[str]:
        """One line per cell that disagrees (``per_call`` at most per call) or call that fails or is not
        checked, then the summary."""
        out = []
        for call in self.calls:
            if call.status == AGREES:
                continue
            cells = call.cells if call.status in (DIFFERS, STALE, OTHER_RUNTIME) else []
            for cell in cells[:per_call]:
                spill = "" if cell.cell == call.cell else f" (spill of {call.cell})"
                out.append(
                    f"{call.sheet}!{cell.cell}{spill}: ={call.formula}: saved {show(cell.saved)}, "
                    f"computed {show(cell.computed)}"
                )
            notes = [call.message] if call.message else []
            if len(cells) > per_call:
                notes.append(f"{len(cells) - per_call} more cells differ (--json lists them all)")
            if call.stale_inputs:
                notes.append("stale inputs: " + _few(call.stale_inputs))
            if call.formula_inputs and call.status != UNCHECKED:
                notes.append("reads the saved values of formulas " + _few(call.formula_inputs))
            if not cells or notes:
                note = "; ".join(notes)
                out.append(f"{call.where}: ={call.formula}: {call.status}" + (f" ({note})" if note else ""))
        out.append(self.summary())
        return out

    def summary(self) -> str:
        n = len(self.calls)
        parts = [f"{count} {status}" for status, count in self.counts.items() if count]
        with_formulas = sum(bool(c.formula_inputs) for c in self.calls)
        text = f"xlspv verify {self.path}: {n} function cell{'s' if n != 1 else ''}"
        text += (
            f" ({', '.join(parts)})"
            if parts
            else " (no call of xlspv's functions found: values pasted over them?)"
        )
        if with_formulas:
            text += f"; {with_formulas} read other formulas' saved values"
        if self.written:
            text += f"; wrote {self.written} ({self.updated_cells} cells updated)"
        return text + (": OK" if self.ok else ": FAILED")

    def as_json(self) -> str:
        return json.dumps(
            {
                "file": self.path,
                "runtime": self.runtime,
                "tolerance": self.tolerance,
                "ok": self.ok,
                "exit_code": self.exit_code,
                "counts": self.counts,
                "written": self.written,
                "updated_cells": self.updated_cells,
                "calls": [
                    {
                        "sheet": c.sheet,
                        "cell": c.cell,
                        "area": c.area,
                        "formula": c.formula,
                        "function": c.function,
                        "runtime": c.runtime,
                        "status": c.status,
                        "message": c.message,
                        "formula_inputs": c.formula_inputs,
                        "stale_inputs": c.stale_inputs,
                        "cells": [
                            {"cell": d.cell, "saved": _json(d.saved), "computed": _json(d.computed)}
                            for d in c.cells
                        ],
                    }
                    for c in self.calls
                ],
            },
            indent=1,
        )


def show(value: Any) -> str:
    """A value as the report prints it: numbers to 12 significant digits, texts quoted, errors bare."""
    if value is NEVER:
        return "(none)"
    if isinstance(value, ExcelErrorValue):
        return value.code
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:.12g}"
    return json.dumps(value, ensure_ascii=False)


def _json(value: Any) -> Any:
    if value is NEVER:
        return None
    if isinstance(value, ExcelErrorValue):
        return {"error": value.code}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _few(items: list[str], limit: int = 3) -> str:
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _check_options(path: str | Path, runtime: str, tolerance: float) -> None:
    check_regular_file(path)  # a device or a pipe: refused as every reader refuses it, before reading
    if not Path(path).is_file():
        what = "is a folder" if Path(path).is_dir() else "no such file"
        raise SpvInputError(f"{path}: {what}; give the path of an .xlsx workbook.")
    if runtime not in RUNTIMES:
        raise SpvInputError(f"--runtime: {runtime!r} is not a runtime; use one of {', '.join(RUNTIMES)}.")
    if not (math.isfinite(tolerance) and 0 <= tolerance < 1):
        raise SpvInputError(
            f"--tolerance: {tolerance!r} is not a relative tolerance; give e.g. 1e-9 (0 to below 1)."
        )


def verify(path: str | Path, *, runtime: str = "any", tolerance: float = DEFAULT_TOLERANCE) -> Report:
    """Check every saved result of xlspv's functions in the workbook at ``path``.

    Parameters
    ----------
    path : path
        An .xlsx workbook; it is read, never written.
    runtime : {"any", "classic", "server", "lite"}
        Which stored forms count; a call stored for another runtime fails ("other runtime").
    tolerance : float
        Relative tolerance of number comparisons, against the larger magnitude and at least 1
        (so 1e-9 is also an absolute 1e-9 below 1: a rate, or $m).

    Returns
    -------
    Report
        ``exit_code`` 0 when every call agrees; 1 when one differs, was never computed, reads stale
        inputs, is stored for another runtime or refers to a missing range, or when there is none.

    Raises
    ------
    SpvInputError
        The file cannot be used (not an .xlsx, damaged, macro-enabled, too large, 1904 dates).
    """
    _check_options(path, runtime, tolerance)
    book = read_book(path)
    calls, skipped = find_calls(book)
    outcome = Checker(book, runtime=runtime, tolerance=tolerance).run(calls, skipped)
    return Report(Path(path).name, runtime, tolerance, _in_sheet_order(outcome.reports, book))


def update(
    path: str | Path,
    out: str | Path,
    *,
    force: bool = False,
    runtime: str = "any",
    tolerance: float = DEFAULT_TOLERANCE,
) -> Report:
    """Write ``out``: a copy of ``path`` whose saved values are xlspv's results in every function cell.

    Formulas are kept; a call reading another call's cells is computed from that call's new values.
    Only the changed cells' values (and a resized dynamic array's ``ref``) are patched; every other
    part of the package is copied byte for byte. The input is never modified; ``out`` is written
    atomically and replaced only with ``force``. Returns the check of the written copy.
    """
    _check_options(path, runtime, tolerance)
    check_output(out, force=force, inputs=[path])
    from ...workbooks.verify.patch import patch_sheet, write_copy

    book = read_book(path)
    calls, skipped = find_calls(book)
    outcome = Checker(book, runtime="any", tolerance=tolerance, update=True).run(calls, skipped)
    sheets = {
        name: patch_sheet(book.sheets[name], outcome.patches.get(name, {}), outcome.refs.get(name, {}))
        for name in set(outcome.patches) | set(outcome.refs)
        if outcome.patches.get(name) or outcome.refs.get(name)
    }
    written = write_copy(book, out, sheets, force=force)
    report = verify(written, runtime=runtime, tolerance=tolerance)
    report.written = str(written)
    report.updated_cells = sum(len(p) for p in outcome.patches.values())
    return report


def _in_sheet_order(reports: list[CallReport], book: Any) -> list[CallReport]:
    order = {name: i for i, name in enumerate(book.sheets)}

    def key(report: CallReport) -> tuple[int, int, int]:
        letters = report.cell.rstrip("0123456789")
        return order.get(report.sheet, 0), int(report.cell[len(letters) :]), column_number(letters)

    return sorted(reports, key=key)


__all__ = ["DEFAULT_TOLERANCE", "RUNTIMES", "Report", "update", "verify"]
