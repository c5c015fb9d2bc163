"""``growth_row_shared`` (a program's SPVs sharing each span's growth in a scenario) equals ``growth_row``.

The table is a cache: whatever the schedules, rate paths and keys, and however spans collide in its
slots, each row's growth must be bitwise what the core's ``growth_row`` computes for that schedule
alone.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from xlspv.accrual import SHARED_SLOTS, annual_exponent, growth_row, growth_row_shared, plan

BASES = {"ACT/365F": 365.0, "ACT/360": 360.0}


@st.composite
def cases(draw):  # type: ignore[no-untyped-def]
    """Several schedules on one set of rate changes, and several rate paths (scenarios) over them."""
    day_count = draw(st.sampled_from(sorted(BASES)))
    start = 739000
    # gaps whose day counts collide modulo the table's slots (d and d + 64) and plain monthly gaps
    gap = st.sampled_from([1, 28, 29, 30, 31, 31 + SHARED_SLOTS, 90, 91, 365, 366])
    changes = np.cumsum([0] + draw(st.lists(st.integers(1, 400), min_size=0, max_size=6))) + start
    schedules = []
    for _ in range(draw(st.integers(1, 4))):
        first = start + draw(st.integers(0, 60))
        days = np.cumsum([first] + draw(st.lists(gap, min_size=1, max_size=40))).astype(np.int64)
        schedules.append(days)
    paths = draw(
        st.lists(
            st.lists(st.floats(-0.05, 0.3), min_size=changes.size, max_size=changes.size),
            min_size=1,
            max_size=3,
        )
    )
    compounding = draw(st.sampled_from(["annual", "continuous", "simple"]))
    return day_count, changes.astype(np.int64), schedules, np.array(paths), compounding


@settings(max_examples=150, deadline=None)
@given(cases())
def test_shared_table_gives_every_schedule_its_own_growth_bitwise(case) -> None:  # type: ignore[no-untyped-def]
    day_count, changes, schedules, paths, compounding = case
    simple = compounding == "simple"
    table_f = np.empty((changes.size, SHARED_SLOTS))
    table_g = np.empty((changes.size, SHARED_SLOTS))
    table_key = np.full((changes.size, SHARED_SLOTS), -1, dtype=np.int64)
    for scenario, rates in enumerate(paths):
        annual = annual_exponent(compounding, rates)
        for days in schedules:  # one table for every schedule of the scenario, as the risk kernel
            p = plan(day_count, days, changes)
            want = np.empty(days.size)
            got = np.empty(days.size)
            growth_row(p.fractions[0], p.period[0], p.ends[0], annual, simple, want)
            growth_row_shared(
                p.fractions[0],
                p.period[0],
                p.ends[0],
                annual,
                simple,
                BASES[day_count],
                table_f,
                table_g,
                table_key,
                2 * scenario + int(simple),
                got,
            )
            assert got.tobytes() == want.tobytes()
