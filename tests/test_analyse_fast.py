"""The program view's faster passes give the bits of the plain rules they replace.

- present values: one discount factor per span of days (the ACT day counts) against
  :func:`xlspv.value.group_values` with a factor per row, every day count, rows shuffled across SPVs,
  SPVs that never fund and distributions before the first funding;
- the day counts said to depend on the span only (``SPAN_ONLY``) do, and the others do not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlspv
from xlspv import Terms
from xlspv.daycount import DAY_COUNTS, year_fraction
from xlspv.portfolio import Portfolio, analyse
from xlspv.portfolio.value import SPAN_ONLY
from xlspv.value import VALUE_FIGURES, group_values

D = dt.date


def _program(seed: int, n_spvs: int = 24) -> Portfolio:
    """SPVs of 2 to 30 rows on random days (fundings mostly first, some distributions before the first
    funding, every fifth SPV never funds), rows shuffled across SPVs; some SPVs with their own
    before-share."""
    rng = np.random.default_rng(seed)
    spvs, ids, dates, values = [], [], [], []
    for i in range(n_spvs):
        spv = {
            "id": f"S{i}",
            "name": f"N{i}",
            "sector": "energy",
            "notice_date": D(2025, 1, 1),
            "committed": 1,
        }
        if rng.random() < 0.3:
            spv["japan_share_before"] = float(rng.choice([0.5, 0.6]))
        spvs.append(spv)
        n = int(rng.integers(2, 31))
        start = np.datetime64("2025-03-31") + int(rng.integers(0, 900))
        days = start + np.sort(rng.integers(0, 40 * n, size=n))
        v = rng.uniform(0.5, 3.0, size=n).round(2)
        if i % 5:
            v[: max(1, n // 3)] *= -4
            v[rng.random(n) < 0.15] *= -1  # distributions before funding, fundings later
        ids += [spv["id"]] * n
        dates += [d.item() for d in days]
        values += v.tolist()
    order = rng.permutation(len(ids))
    flows = {
        key: [col[k] for k in order] for key, col in (("spv_id", ids), ("date", dates), ("value", values))
    }
    return Portfolio.from_tables(spvs, flows, terms=Terms(0.05))


@pytest.mark.parametrize("day_count", sorted(DAY_COUNTS))
@pytest.mark.parametrize("seed", [1, 2])
def test_program_values_equal_group_values_under_every_day_count(seed, day_count):
    p = _program(seed)
    terms = dataclasses.replace(Terms(0.05), day_count=day_count)
    result = analyse(p, terms, rates=(), discount_rate=0.07)
    b = xlspv.waterfall_batch(p.padded[0], xlspv.dates.to_datetime64(p.padded[1]), p.terms_for(terms))
    japan, us = p.from_padded(b.japan), p.from_padded(b.us)
    share = np.array([t.japan_share_before for t in p.terms_for(terms)])
    v, days, spv = p.flow_values, p.flow_days, p.flow_spv
    kw = {"rate": 0.07, "day_count": day_count}
    per_spv = group_values(v, days, japan, us, spv, len(p), share_before=share, **kw)
    zero = np.zeros(v.size, dtype=np.int64)
    one = group_values(v, days, japan, us, zero, 1, share_before=1.0, **kw)
    cf = group_values(np.where(v > 0.0, v * share[spv], v), days, japan, us, zero, 1, share_before=1.0, **kw)
    assert (np.bincount(spv[v < 0.0], minlength=len(p)) == 0).any()  # some SPV never funds
    for name in VALUE_FIGURES:
        np.testing.assert_array_equal(result.values.spvs[name].to_numpy(), per_spv[name], err_msg=name)
    assert result.values.program["japan_received"] == one["japan_received"][0]
    assert result.values.program["japan_funded"] == one["japan_funded"][0]
    assert result.values.program["japan_received_no_switch"] == cf["japan_received_no_switch"][0]


@settings(max_examples=40, deadline=None)
@given(
    start=st.integers(D(1990, 1, 1).toordinal(), D(2090, 1, 1).toordinal()),
    span=st.integers(-20_000, 20_000),
)
def test_span_only_day_counts_depend_on_the_days_between_only(start, span):
    for name in SPAN_ONLY:
        assert year_fraction(name, np.array(start), np.array(start + span)) == year_fraction(
            name, np.array(0), np.array(span)
        )


def test_the_other_day_counts_depend_on_the_dates():
    """31 January to 3 March 2025 and 1 April to 2 May are both 31 days; DAYS360 counts 33 and 31."""
    for name in set(DAY_COUNTS) - SPAN_ONLY:
        a = year_fraction(name, np.array(D(2025, 1, 31).toordinal()), np.array(D(2025, 3, 3).toordinal()))
        b = year_fraction(name, np.array(D(2025, 4, 1).toordinal()), np.array(D(2025, 5, 2).toordinal()))
        assert D(2025, 3, 3) - D(2025, 1, 31) == D(2025, 5, 2) - D(2025, 4, 1)
        assert a != b, name


def test_flags_are_listed_by_kind_then_spv_then_source_row():
    """B (SPV 0) funds 10 and 20 days after its notice (rows 3 and 1 of the flows, listed in that
    order: the later funding first), A (SPV 1) 5 days after and in a sector the MOU does not name; the
    45-day rule flags all three fundings. The Flags table lists the notices first (B's in source row
    order, then A's), then the sector flag; each SPV counts its own."""
    notice = D(2025, 6, 1)
    spvs = [
        {"id": "B", "name": "b", "sector": "energy", "notice_date": notice, "committed": 30},
        {"id": "A", "name": "a", "sector": "bakeries", "notice_date": notice, "committed": 10},
    ]
    flows = {
        "spv_id": ["B", "A", "B", "A", "B"],
        "date": [D(2025, 6, 21), D(2025, 6, 6), D(2025, 6, 11), D(2027, 1, 1), D(2027, 1, 1)],
        "value": [-20.0, -10.0, -10.0, 15.0, 40.0],
    }
    result = analyse(Portfolio.from_tables(spvs, flows), Terms(0.05), rates=())
    assert result.flags[["kind", "spv_id", "date", "amount"]].values.tolist() == [
        ["notice", "B", D(2025, 6, 21), 20.0],
        ["notice", "B", D(2025, 6, 11), 10.0],
        ["notice", "A", D(2025, 6, 6), 10.0],
        ["sector", "A", None, 10.0],
    ]
    assert result.spvs["flags"].tolist() == [2, 2]
    assert result.flags["spv_name"].tolist() == ["b", "b", "a", "a"]


def test_a_program_without_flags_has_an_empty_flags_table_and_no_counts():
    spvs = [{"id": "A", "name": "a", "sector": "energy", "notice_date": D(2025, 1, 1), "committed": 10}]
    flows = {"spv_id": ["A", "A"], "date": [D(2025, 3, 1), D(2027, 1, 1)], "value": [-10.0, 15.0]}
    result = analyse(Portfolio.from_tables(spvs, flows), Terms(0.05), rates=())
    assert list(result.flags.columns) == ["kind", "spv_id", "spv_name", "date", "amount", "source", "reason"]
    assert len(result.flags) == 0
    assert result.spvs["flags"].tolist() == [0]
