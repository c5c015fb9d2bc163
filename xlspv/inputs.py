"""Cash-flow inputs, prepared once: converted, checked and put in date order.

:func:`prepare` prepares one schedule (any input form, every bad cell named); :func:`prepare_batch`
prepares many scenarios as arrays, checked and converted one chunk of scenarios at a time so that
any number of scenarios runs in bounded memory. Both apply the same rules for the rows
(:func:`check_rows`) and their processing order (:func:`stable_order`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .cells import as_float
from .dates import to_ordinals
from .errors import SpvInputError

#: Values checked at a time by :meth:`BatchFlows.check_values`, in bytes.
CHECK_BYTES = 8 * 2**20


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
            arr[i] = as_float(cell, f"values row {i + 1}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise SpvInputError(
            f"values row {bad[0] + 1}: {float(arr[bad[0]])!r} is not a finite number; enter a number."
        )
    # each value finite, yet the totals reported (fundings, distributions) must be too: never an inf
    with np.errstate(over="ignore"):  # an overflow is the answer sought here, not a warning
        totals = arr[arr > 0].sum(), arr[arr < 0].sum()
    if not np.isfinite(totals).all():
        raise SpvInputError(
            "values: the fundings or the distributions add up to more than a float can hold; enter the "
            "amounts in a larger unit (e.g. $bn instead of $m)."
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


def check_rows(n_values: int, n_dates: int) -> None:
    """One date per value and at least one row: the rule for a schedule and for a batch's rows."""
    if n_values != n_dates:
        raise SpvInputError(f"values has {n_values} rows but dates has {n_dates}; give one date per value.")
    if n_values == 0:
        raise SpvInputError("values: no rows; give at least one (date, value) row.")


def stable_order(days: np.ndarray) -> np.ndarray:
    """The processing order of rows (``days`` ordinals; rows along the last axis): by date, rows on
    one date in input order (a stable sort). The rule for a schedule and for a batch's scenarios."""
    return np.argsort(days, axis=-1, kind="stable")


def date_order(days: np.ndarray) -> np.ndarray | None:
    """:func:`stable_order`, or ``None`` when the rows are already in that order (a batch then runs
    on its input as it is, with no copy)."""
    if (days[..., 1:] >= days[..., :-1]).all():
        return None
    return stable_order(days)


def prepare(values: Any, dates: Any) -> Flows:
    """Check and convert one schedule of (date, value) rows; see :class:`Flows`.

    Raises :class:`~xlspv.errors.SpvInputError` naming the argument and the row: lengths differ, no
    rows, a text or blank or NaN where a number is due, a missing or impossible date. A batch's
    scenarios follow the same rules (:func:`check_rows`, :func:`stable_order`) on arrays
    (:func:`prepare_batch`).
    """
    vals = _values_array(values)
    days = to_ordinals(dates, name="dates")
    check_rows(vals.size, days.size)
    return Flows(vals, days, stable_order(days))


@dataclass(frozen=True)
class BatchChunk:
    """Scenarios ``lo`` to ``hi`` of a batch, in date order.

    ``values`` and ``days`` (ordinals) have one row per scenario or one shared row; ``order`` is
    ``None`` when the input was already in date order, else the stable date order (``(rows,)`` when
    the dates are shared, ``(scenarios, rows)`` otherwise), to put per-row results back.
    """

    lo: int
    hi: int
    values: np.ndarray
    days: np.ndarray
    order: np.ndarray | None


@dataclass(frozen=True)
class BatchFlows:
    """Many scenarios' schedules, shape-checked; values and dates are converted per chunk.

    ``values`` is ``(scenarios, rows)`` or one shared ``(1, rows)`` row; ``dates`` is a shared
    ``(rows,)`` ordinal array or the raw ``(scenarios, rows)`` dates.
    """

    values: np.ndarray
    dates: Any
    n_scenarios: int
    n_rows: int
    shared_order: np.ndarray | None
    ordinals: bool = False  # (scenarios, rows) dates given as checked day ordinals (:func:`ordinal_batch`)

    @property
    def shared_days(self) -> np.ndarray | None:
        return self.dates if self.dates.ndim == 1 else None

    def check_values(self) -> None:
        """Refuse values that are not finite numbers (in chunks: no copy of the whole array)."""
        step = max(1, CHECK_BYTES // (8 * self.n_rows))
        for lo in range(0, self.values.shape[0], step):
            if not np.isfinite(self.values[lo : lo + step]).all():
                raise SpvInputError("values: every value must be a finite number.")

    def chunk(self, lo: int, hi: int, check: bool = True) -> BatchChunk:
        """Scenarios ``lo:hi``, converted, checked (finite values unless ``check`` is False: the
        caller's kernel checks them as it reads them, see :meth:`check_values`; real dates) and in
        date order."""
        vals = self.values if self.values.shape[0] == 1 else self.values[lo:hi]
        vals = np.ascontiguousarray(vals, dtype=np.float64)
        if check and not np.isfinite(vals).all():
            raise SpvInputError("values: every value must be a finite number.")
        if self.dates.ndim == 1:
            days, order = self.dates, self.shared_order
            if order is not None:
                return BatchChunk(lo, hi, np.ascontiguousarray(vals[:, order]), days[order][None, :], order)
            return BatchChunk(lo, hi, vals, days[None, :], None)
        raw = self.dates[lo:hi]
        if self.ordinals:  # already ordinals: copied (the kernels take writeable arrays), not converted
            days = np.array(raw, dtype=np.int64)
        else:
            days = to_ordinals(raw.ravel(), name="dates").reshape(raw.shape)
        order = date_order(days)
        if order is None:
            return BatchChunk(lo, hi, vals, days, None)
        if vals.shape[0] == 1:
            vals = np.broadcast_to(vals, days.shape)
        return BatchChunk(
            lo,
            hi,
            np.ascontiguousarray(np.take_along_axis(vals, order, axis=1)),
            np.ascontiguousarray(np.take_along_axis(days, order, axis=1)),
            order,
        )


def numeric_array(values: Any) -> np.ndarray:
    """``values`` as an array with numpy's own dtype, never converted to floats on the way.

    ``np.asarray(values, dtype=float)`` would read the text ``"110"`` as 110 and raise
    ``OverflowError`` on an integer past a float's range; here a text, a blank, a nested or ragged list
    or such an integer give an array whose dtype is not numeric, for the caller to refuse.
    """
    if isinstance(values, np.ndarray):
        return values
    try:
        return np.asarray(values)
    except (TypeError, ValueError):  # ragged nesting
        return np.array([None])


def ordinal_batch(values: np.ndarray, days: np.ndarray) -> BatchFlows:
    """A batch whose dates are day ordinals the caller has already checked (``days`` int64 shaped like
    ``values``, float64 ``(scenarios, rows)``: a program's padded schedules; only the types and shapes
    are checked here), so a chunk copies its rows of days instead of converting dates; each chunk is
    put in date order as :meth:`BatchFlows.chunk` does."""
    ok = isinstance(values, np.ndarray) and values.dtype == np.float64 and values.ndim == 2
    if not (ok and isinstance(days, np.ndarray) and days.dtype == np.int64 and days.shape == values.shape):
        raise SpvInputError("days: give int64 day ordinals shaped like the float64 values (scenarios, rows).")
    check_rows(values.shape[1], days.shape[1])
    return BatchFlows(values, days, values.shape[0], values.shape[1], None, ordinals=True)


def prepare_batch(values: Any, dates: Any, n_scenarios: int | None = None) -> BatchFlows:
    """Check the shapes of a batch: values ``(scenarios, rows)`` or shared ``(rows,)``, dates
    ``(rows,)`` shared or ``(scenarios, rows)``.

    ``n_scenarios`` is the count implied by another argument (one deemed rate per scenario) when the
    values are shared. Values and per-scenario dates are converted chunk by chunk
    (:meth:`BatchFlows.chunk`); shared dates are converted here.
    """
    vals = numeric_array(values)
    if vals.dtype.kind not in "iuf" or vals.ndim not in (1, 2):
        raise SpvInputError(
            "values: give numbers, one row of cash flows per scenario (scenarios x rows) or one row "
            "shared by all."
        )
    if vals.ndim == 1:
        vals = vals[None, :]
    raw = dates if isinstance(dates, np.ndarray) else np.asarray(dates)
    if raw.ndim == 2 and raw.shape[0] == 1:
        raw = raw[0]
    days = to_ordinals(raw, name="dates") if raw.ndim == 1 else raw
    if vals.shape[0] > 1 or n_scenarios is None:
        n_scen = vals.shape[0] if vals.shape[0] > 1 or raw.ndim == 1 else raw.shape[0]
    else:
        n_scen = n_scenarios
    if n_scenarios is not None and n_scen != n_scenarios:
        raise SpvInputError(
            f"values have {n_scen} scenarios but deemed_rates have {n_scenarios}; give one rate per scenario."
        )
    n_rows = vals.shape[1]
    if days.ndim not in (1, 2) or days.shape[-1] != n_rows or (days.ndim == 2 and days.shape[0] != n_scen):
        raise SpvInputError(
            f"values are {(n_scen, n_rows)} (scenarios, rows) but dates are {tuple(np.shape(days))}."
        )
    check_rows(n_rows, days.shape[-1])
    return BatchFlows(vals, days, n_scen, n_rows, date_order(days) if days.ndim == 1 else None)
