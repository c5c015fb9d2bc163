"""Present values of the investor's position and of the 90/10 switch."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlspv import Terms, compute
from xlspv.examples import portfolio as example
from xlspv.portfolio import analyse
from xlspv.value import present_values

D = dt.date


def test_one_funding_one_distribution_by_hand():
    """100 funded on 1 Jan 2025, 300 distributed on 1 Jan 2027 (730 days = 2 years ACT/365F) at 10%:
    the balance is 100 x 1.1^2 = 121, so the row is the threshold row (x = 242): Japan gets 121 +
    10% x 58 = 126.8. At 10%, the discount factor is 1 / 1.21: PV receipts 126.8 / 1.21, PV funding
    100; without the switch Japan would get 150, so the switch moves (150 - 126.8) / 1.21 = 23.2 / 1.21
    from Japan to the US."""
    w = compute([-100, 300], [D(2025, 1, 1), D(2027, 1, 1)], Terms(0.10))
    pv = present_values(w)
    assert pv.discount_rate == 0.10 and pv.start == D(2025, 1, 1)
    assert pv.japan_received == pytest.approx(126.8 / 1.21, rel=1e-12)
    assert pv.japan_funded == pytest.approx(100.0, rel=1e-12)
    assert pv.npv_japan == pytest.approx(126.8 / 1.21 - 100, rel=1e-12)
    assert pv.us_received == pytest.approx(173.2 / 1.21, rel=1e-12)
    assert pv.switch_value_japan == pytest.approx(23.2 / 1.21, rel=1e-12)
    assert pv.switch_value_us == pytest.approx(23.2 / 1.21, rel=1e-12)
    # another rate: 5%, two years: factor 1 / 1.05^2
    assert present_values(w, 0.05).japan_received == pytest.approx(126.8 / 1.05**2, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3000), st.floats(-100, 100, allow_nan=False)), min_size=1, max_size=25),
    st.floats(0.0, 0.15),
)
def test_at_a_zero_discount_rate_present_values_are_the_sums(rows, rate):
    values = [v for _, v in rows]
    dates = [D(2025, 1, 1) + dt.timedelta(days=d) for d, _ in rows]
    w = compute(values, dates, Terms(rate))
    pv = present_values(w, 0.0)
    v = np.array(values)
    assert pv.japan_received == pytest.approx(w.japan.sum(), rel=1e-12, abs=1e-9)
    assert pv.japan_funded == pytest.approx(-v[v < 0].sum(), rel=1e-12, abs=1e-9)
    assert pv.japan_received_no_switch == pytest.approx(0.5 * v[v > 0].sum(), rel=1e-12, abs=1e-9)
    assert pv.switch_value_japan == pytest.approx(pv.switch_value_us, rel=1e-9, abs=1e-9)


def test_program_values_are_returned_per_spv_and_for_the_program():
    result = analyse(example.portfolio(), rates=(), discount_rate=0.0)
    values = result.values
    assert values.discount_rate == 0.0 and values.rate_from == "--discount-rate"
    assert values.spvs["japan_received"].to_numpy() == pytest.approx(result.spvs["japan_received"].to_numpy())
    assert values.program["japan_received"] == pytest.approx(result.program.japan_received)
    assert values.program["switch_value_japan"] == pytest.approx(values.spvs["switch_value_japan"].sum())
