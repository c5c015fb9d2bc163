"""XIRR of Python lists: the list path (values packed by ``marshal``, dates by ``struct``) recognises
only lists whose answer under the one values rule is known, and gives that answer bitwise.

The reference for each list is the same call with the dates as a datetime64 array, which sends the
values list through the values rule itself (``xlspv.inputs.numeric_array``, numpy's dtype discovery);
where the careful path (``xlspv.inputs.prepare``, the rule of the Excel functions and the readers)
also accepts the list, the rate is its rate, else its message is the message. No expected number here
is computed by hand: every case compares two routes of the code, so each fails if the routes differ.
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import marshal
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from xlspv import xirr
from xlspv.dates import to_ordinals
from xlspv.errors import SpvInputError
from xlspv.inputs import prepare

xirr_module = importlib.import_module("xlspv.xirr")  # ``xlspv.xirr`` is also the function's name
D = dt.date
START = D(2025, 1, 1)


class _Float(float):
    """A float subclass: marshal refuses it, the values rule reads it as its float."""


class _Level(enum.IntEnum):
    LOW = -7
    HIGH = 12


_NUMPY_TYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
_NUMPY_TYPES += [np.float16, np.float32, np.float64, np.longdouble, np.complex64, np.complex128, np.bool_]
_SMALL = st.integers(-120, 120)
_PLAIN = st.one_of(
    st.floats(-1e6, 1e6),
    st.integers(-(2**33), 2**33),  # across marshal's 32-bit ints
    st.sampled_from([2**31 - 1, -(2**31), 2**31, -(2**31) - 1]),
)
_ANY = st.one_of(
    _PLAIN,
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), 2**64, 2**70, 10**400, -(10**400), -0.0, 1e308]),
    st.booleans(),
    st.builds(
        lambda kind, x: kind(abs(x) if np.dtype(kind).kind == "u" else x),
        st.sampled_from(_NUMPY_TYPES),
        _SMALL,
    ),
    st.builds(Decimal, _SMALL),
    st.builds(Fraction, _SMALL, st.integers(1, 7)),
    st.builds(complex, _SMALL, _SMALL),
    st.builds(_Float, st.floats(-1e6, 1e6)),
    st.sampled_from([_Level.LOW, _Level.HIGH]),
    st.text(max_size=3),
    st.sampled_from([None, b"1", "110", [1.0], [], [[2.0]], (3.0,), {4.0}, D(2025, 1, 1)]),
)
_DAYS = st.lists(st.integers(0, 3650), min_size=1, max_size=9)


def _outcome(call: Any) -> tuple[str, Any]:
    """``("rate", bits or None)`` or ``("error", message)``: what a caller sees, compared exactly."""
    try:
        rate = call()
    except SpvInputError as exc:
        return "error", str(exc)
    return "rate", None if rate is None else float(rate).hex()


def _dates(offsets: list[int]) -> list[dt.date]:
    return [START + dt.timedelta(days=d) for d in offsets]


def _with_rule(values: list[Any], dates: list[dt.date]) -> tuple[str, Any]:
    """The values list through the values rule itself (the dates as a datetime64 array)."""
    return _outcome(lambda: xirr(values, np.array(dates, dtype="datetime64[D]")))


def _careful(values: list[Any], dates: list[dt.date]) -> tuple[str, Any]:
    """The careful path's message, or the rate of the numbers it reads."""
    try:
        flows = prepare(values, dates)
    except SpvInputError as exc:
        return "error", str(exc)
    return _outcome(lambda: xirr(flows.values, np.array(dates, dtype="datetime64[D]")))


def _has_boolean(values: list[Any]) -> bool:
    return any(isinstance(x, (bool, np.bool_)) for x in values)


def _sums_past_a_float(values: list[Any]) -> bool:
    """The careful path refuses fundings or distributions whose sum overflows; the values rule reads
    each finite number and the search finds no rate there (a documented difference, not this one)."""
    real = (int, float, np.integer, np.floating)
    try:
        finite = np.asarray([float(x) for x in values if isinstance(x, real)])
    except OverflowError:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return not (np.isfinite(finite[finite > 0].sum()) and np.isfinite(finite[finite < 0].sum()))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_ANY, min_size=1, max_size=9), offsets=_DAYS)
@example(values=[Decimal(-100), 110.0], offsets=[0, 365])
@example(values=[Fraction(-100), 110.0], offsets=[0, 365])
@example(values=[-100.0, np.complex128(110)], offsets=[0, 365])
@example(values=[-100.0, True], offsets=[0, 365])
@example(values=[True, False], offsets=[0, 365])
@example(values=[-100.0, 2**63], offsets=[0, 365])
@example(values=[-100.0, 2**70], offsets=[0, 365])
@example(values=[-100.0, 10**400], offsets=[0, 365])
@example(values=[-100.0, float("nan")], offsets=[0, 365])
@example(values=[-100, 110], offsets=[0])
def test_list_path_gives_the_values_rule_answer_or_message(values, offsets):
    dates = _dates(offsets)
    listed = _outcome(lambda: xirr(values, dates))
    assert listed == _with_rule(values, dates)
    if not _has_boolean(values) and not _sums_past_a_float(values):
        assert listed == _careful(values, dates)


_NOT_PLAIN = st.sampled_from(
    [True, False, np.float64(2.5), np.int64(3), _Float(1.5), _Level.HIGH, 2**40, None]
)


def _plain(x: Any) -> bool:
    return type(x) is float or (type(x) is int and -(2**31) <= x < 2**31)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(_PLAIN, _PLAIN, _PLAIN, _NOT_PLAIN), min_size=1, max_size=40), offsets=_DAYS)
@example(values=[-1000.0, -(2**31), 2**31 - 1, 2**31], offsets=[0, 31, 400, 800])
@example(values=[-1000.0, -(2**31), 2**31 - 1], offsets=[0, 31, 400])
@example(values=[True, False], offsets=[0, 365])
def test_exact_floats_and_small_ints_are_recognised_and_read_exactly(values, offsets):
    """Exact floats and 32-bit ints, and nothing else, are what the packed kernel reads (the rest goes
    to the rule); it reads them as the rule does: the same rate, bit for bit."""
    n = min(len(values), len(offsets))
    values, dates = values[:n], _dates(offsets[:n])
    try:
        packed = marshal.dumps(values, 2)
    except ValueError:  # a subclass of float or int: unmarshallable, so never packed
        packed = marshal.dumps([None], 2)
    kernel = xirr_module._xirr_packed(packed, xirr_module._packed_days(dates), 0.1)
    assert (kernel != xirr_module._NOT_PLAIN) == all(map(_plain, values))
    assert _outcome(lambda: xirr(values, dates)) == _with_rule(values, dates)
    if all(map(_plain, values)):
        arrays = np.array(values, dtype=float), np.array(dates, dtype="datetime64[D]")
        assert _outcome(lambda: xirr(values, dates)) == _outcome(lambda: xirr(*arrays))


@pytest.mark.parametrize(
    "bad",
    [Decimal("-100"), Fraction(-100), np.complex128(-100 + 0j), complex(-100, 1), "-100", None, [-100.0]],
    ids=["decimal", "fraction", "numpy_complex", "complex", "text", "blank", "nested"],
)
def test_a_value_the_rule_refuses_is_refused_alike_in_every_form(bad):
    """One message for a list, a tuple, an object array, a Series and the careful path itself."""
    dates = [D(2025, 1, 1), D(2026, 1, 1)]
    values = [bad, 110.0]
    with pytest.raises(SpvInputError) as careful:
        prepare(values, dates)
    assert str(careful.value).startswith("values row 1:")
    forms = [
        values,
        tuple(values),
        np.array(values + [0.0], dtype=object)[:2],
        pd.Series(values, dtype=object),
    ]
    for form in forms:
        for when in (dates, np.array(dates, dtype="datetime64[D]")):
            assert _outcome(lambda f=form, w=when: xirr(f, w)) == ("error", str(careful.value))


_WHEN = st.one_of(
    st.dates(D(1900, 3, 1), D(9999, 12, 31)),  # the careful path's range: Excel's dates
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31, 23, 59)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2200, 1, 1)).map(pd.Timestamp),
)


@settings(max_examples=200, deadline=None)
@given(dates=st.lists(_WHEN, min_size=1, max_size=12))
def test_list_dates_are_the_careful_paths_days(dates):
    """Dates, datetimes (time of day ignored) and pandas Timestamps give the careful path's days."""
    packed = np.frombuffer(xirr_module._packed_days(dates), np.int64)
    assert packed.tolist() == to_ordinals(dates, name="dates").tolist()


def test_long_lists_stream_their_dates_to_the_same_days():
    """Past ``_PACK_MAX`` dates the ordinals stream through ``np.fromiter``: the same bytes."""
    dates = _dates(list(range(0, 3 * xirr_module._PACK_MAX, 2)))
    packed = np.frombuffer(xirr_module._packed_days(dates), np.int64)
    assert packed.tolist() == [d.toordinal() for d in dates]
    values = [-1000.0] + [3.0] * (len(dates) - 1)
    assert xirr(values, dates) == xirr(np.array(values), np.array(dates, dtype="datetime64[D]"))


@pytest.mark.parametrize(
    "dates",
    [[D(2025, 1, 1), "2026-01-01"], [D(2025, 1, 1), 46023], [D(2025, 1, 1), None], [D(2025, 1, 1)]],
    ids=["text", "serial", "blank", "one_date_short"],
)
def test_lists_of_other_dates_take_the_date_rule(dates):
    """A list with anything but dates in it is not packed: the date rule (careful path) decides."""
    values = [-1000.0, 1100.0]
    assert _outcome(lambda: xirr(values, dates)) == _outcome(lambda: xirr(tuple(values), dates))


def test_one_float_object_repeated_is_read_at_every_row(monkeypatch):
    """marshal's version 2 writes every item; later versions write a repeated object once and refer
    back to it, which the kernel does not read: such a list would leave the packed path (slower, the
    same rate). Here leaving it fails the test."""
    paid, back = -1000.0, 275.5
    values = [paid, back, back, back, back]
    dates = _dates([0, 365, 730, 1095, 1460])
    expected = _with_rule(values, dates)

    def refuse(values: Any) -> None:
        raise AssertionError("the packed path did not read this list")

    monkeypatch.setattr(xirr_module, "_fast_values", refuse)
    assert _outcome(lambda: xirr(values, dates)) == expected
    assert expected[1] is not None
