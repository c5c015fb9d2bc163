"""Cash-flow inputs, prepared once: converted, checked and put in date order."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .dates import to_ordinals
from .errors import SpvInputError


@dataclass(frozen=True)
class Flows:
    """One SPV's cash-flow schedule, checked.

    ``values`` (float64) and ``days`` (int64 ordinals) are in input order; ``order`` is the stable
    date order (rows on one date keep their input order), so ``values[order]`` is processing order.
    """

    values: np.ndarray
    days: np.ndarray
    order: np.ndarray

    @property
    def sorted_values(self) -> np.ndarray:
        return self.values[self.order]

    @property
    def sorted_days(self) -> np.ndarray:
        return self.days[self.order]

    def __len__(self) -> int:
        return int(self.values.size)


_NUMBER_TYPES = (int, float, np.integer, np.floating)


def _is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _values_array(values: Any) -> np.ndarray:
    """Float64 values; texts, booleans, blanks and NaN are refused naming the row."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        arr = values.astype(np.float64).ravel()
    else:
        if hasattr(values, "to_numpy"):
            values = values.to_numpy()
        if isinstance(values, np.ndarray):
            values = values.astype(object).ravel()
        cells = list(values)
        arr = np.empty(len(cells))
        for i, cell in enumerate(cells):
            if _is_blank(cell):
                raise SpvInputError(
                    f"values row {i + 1}: the cell is blank inside the data; enter 0 or remove the row."
                )
            if isinstance(cell, (bool, np.bool_)) or not isinstance(cell, _NUMBER_TYPES):
                raise SpvInputError(f"values row {i + 1}: {cell!r} is not a number; enter a number.")
            arr[i] = float(cell)
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise SpvInputError(
            f"values row {bad[0] + 1}: {float(arr[bad[0]])!r} is not a finite number; enter a number."
        )
    return arr


def trim_trailing_blanks(values: list[Any], dates: list[Any]) -> tuple[list[Any], list[Any]]:
    """Drop the rows at the end where both the value and the date are blank (an over-long range)."""
    n = max(len(values), len(dates))
    values = list(values) + [None] * (n - len(values))
    dates = list(dates) + [None] * (n - len(dates))
    while n and _is_blank(values[n - 1]) and _is_blank(dates[n - 1]):
        n -= 1
    return values[:n], dates[:n]


def prepare(values: Any, dates: Any) -> Flows:
    """Check and convert one schedule of (date, value) rows; see :class:`Flows`.

    Raises :class:`~xlspv.errors.SpvInputError` naming the argument and the row: lengths differ, no
    rows, a text or blank or NaN where a number is due, a missing or impossible date.
    """
    vals = _values_array(values)
    days = to_ordinals(dates, name="dates")
    if vals.size != days.size:
        raise SpvInputError(
            f"values has {vals.size} rows but dates has {days.size}; give one date per value."
        )
    if vals.size == 0:
        raise SpvInputError("values: no rows; give at least one (date, value) row.")
    return Flows(vals, days, np.argsort(days, kind="stable"))


def check_finite_result(name: str, value: float) -> float:
    """Guard against a non-finite number leaving the core (it would be a silently wrong figure)."""
    if not math.isfinite(value):
        raise SpvInputError(f"{name}: the result is not finite ({value!r}); check the inputs' sizes.")
    return value
