"""The pooled reading: one deemed balance for the program, on the core's cumulative rule."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlspv import Terms, compute
from xlspv.portfolio import Portfolio, analyse
from xlspv.portfolio.pooled import pooled

D = dt.date
SPVS = [
    {"id": "A", "name": "", "sector": "energy", "notice_date": D(2024, 11, 1), "committed": 100},
    {"id": "B", "name": "", "sector": "metals", "notice_date": D(2024, 11, 1), "committed": 100},
]
# A and B each fund 100 on 1 Jan 2025; their cash interleaves: A 100 (2026), B 300 (2027), A 100 (2028)
FLOWS = {
    "spv_id": ["A", "B", "A", "B", "A"],
    "date": [D(2025, 1, 1), D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1), D(2028, 1, 1)],
    "value": [-100.0, -100.0, 100.0, 300.0, 100.0],
}


def test_two_interleaving_spvs_share_one_balance():
    """Worked by hand at 0% (no interest, so the arithmetic is exact). Pooled: balance 200; A's 100 pays
    Japan 50 (150 left); B's 300 is the threshold row (x = 150 / 0.5 = 300: Japan 150, nothing after);
    A's last 100 is after the threshold: Japan 10. Cumulative, each SPV alone: A gets 50 then 50 (its
    threshold), B gets 100 + 10% of the other 100 = 110."""
    p = Portfolio.from_tables(SPVS, FLOWS)
    r = pooled(p, Terms(0.0))
    assert r.japan.tolist() == pytest.approx([0, 0, 50, 150, 10])
    assert r.spvs["japan_received"].tolist() == pytest.approx([60, 150])
    assert r.spvs["us_received"].tolist() == pytest.approx([140, 150])
    assert r.threshold_date == D(2027, 1, 1) and r.unrecovered == 0.0
    view = analyse(p, Terms(0.0, allocation_basis="pooled"), rates=())
    assert view.spvs["japan_received"].tolist() == pytest.approx([60, 150])
    assert view.program.threshold_date == D(2027, 1, 1)
    cumulative = analyse(p, Terms(0.0), rates=())
    assert cumulative.spvs["japan_received"].tolist() == pytest.approx([100, 110])


def test_same_date_rows_go_in_spv_table_order_then_input_order():
    """B's distribution is listed first in the input but A is first in the SPV table: on 1 Jan 2026 A's
    funding of 100 comes before B's distribution of 100, so Japan gets 50 of it (balance 200 > 50)."""
    flows = {
        "spv_id": ["B", "B", "A"],
        "date": [D(2025, 1, 1), D(2026, 1, 1), D(2026, 1, 1)],
        "value": [-100.0, 100.0, -100.0],
    }
    r = pooled(Portfolio.from_tables(SPVS, flows), Terms(0.0))
    assert r.order.tolist() == [0, 2, 1]
    assert r.balance.tolist() == pytest.approx([100, 150, 200])


def test_an_spv_with_its_own_terms_is_an_error_naming_it():
    spvs = [SPVS[0], dict(SPVS[1], deemed_rate=0.07)]
    p = Portfolio.from_tables(spvs, FLOWS)
    with pytest.raises(Exception, match=r"SPVs, row 2 \(SPV 'B'\): its own terms \(deemed_rate\)"):
        pooled(p, Terms(0.05))
    with pytest.raises(Exception, match="SPV 'B'"):
        analyse(p, Terms(0.05, allocation_basis="pooled"), rates=())


flows_strategy = st.lists(
    st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 2000), st.floats(-500, 500, allow_nan=False)),
    min_size=1,
    max_size=30,
)


def _portfolio(rows, ids):
    spvs = [
        {"id": i, "name": "", "sector": "energy", "notice_date": D(2020, 1, 1), "committed": 1} for i in ids
    ]
    return Portfolio.from_tables(
        spvs,
        {
            "spv_id": [r[0] for r in rows],
            "date": [D(2021, 1, 1) + dt.timedelta(days=r[1]) for r in rows],
            "value": [r[2] for r in rows],
        },
    )


@settings(max_examples=60, deadline=None)
@given(flows_strategy, st.floats(0.0, 0.2))
def test_pooled_cash_is_conserved(rows, rate):
    ids = sorted({r[0] for r in rows})
    r = pooled(_portfolio(rows, ids), Terms(rate))
    values = np.array([v for _, _, v in rows])
    paid = r.japan + r.us
    assert np.allclose(paid, np.where(values > 0, values, 0.0), rtol=1e-12, atol=1e-9)
    assert r.spvs["japan_received"].sum() + r.spvs["us_received"].sum() == pytest.approx(
        values[values > 0].sum(), rel=1e-12, abs=1e-9
    )


@settings(max_examples=60, deadline=None)
@given(flows_strategy, st.floats(0.0, 0.2))
def test_with_one_spv_pooled_equals_cumulative(rows, rate):
    rows = [("A", d, v) for _, d, v in rows]
    p = _portfolio(rows, ["A"])
    r = pooled(p, Terms(rate))
    w = compute(
        [v for *_, v in rows], [D(2021, 1, 1) + dt.timedelta(days=d) for _, d, _ in rows], Terms(rate)
    )
    assert r.japan.tolist() == pytest.approx(w.japan.tolist(), rel=1e-12, abs=1e-12)
    assert r.unrecovered == pytest.approx(w.unrecovered, rel=1e-12, abs=1e-12)
    assert r.threshold_date == w.threshold_date
