"""The risk run's compiled fast path (xlspv/risk/kernel.py) against the general path and the core.

The general path (xlspv.risk.engine.run_general) builds every scenario's rows as arrays and runs the
core's batch on them; it is the reference. The fast path builds the same rows, the same accrual plan
and calls the same compiled growth, rule and XIRR, so the per-SPV figures must be equal to the last
bit, on random schedules, terms and models (hypothesis). The program's XIRR is compared to a stated
tolerance: the general path sums the program's Japan flows on the union of the dates of every
scenario of the chunk (zero flows on another scenario's dates), the fast path on the scenario's own
dates, and an extra zero flow splits the XIRR's chain of discount factors differently (rounding).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlspv import Terms, compute
from xlspv.accrual import plan
from xlspv.portfolio import Portfolio
from xlspv.risk import RiskModel, engine, simulate, simulate_program
from xlspv.risk import fast as fast_module
from xlspv.risk.fast import runs_fast
from xlspv.risk.kernel import _edate, _plan_row
from xlspv.risk.scenarios import add_months, month_parts, problem
from xlspv.terms import RateSchedule

D0 = dt.date(2026, 1, 1)


def _schedule(draw: st.DrawFn) -> tuple[list[float], list[dt.date]]:
    """Fundings then distributions on monthly or irregular dates (ties and month ends included)."""
    n_fund = draw(st.integers(1, 6))
    n_dist = draw(st.integers(1, 40))
    monthly = draw(st.booleans())
    day = draw(st.sampled_from([1, 15, 28, 29, 30, 31]))
    days, d = [], D0
    for k in range(n_fund + n_dist):
        if monthly:
            y, m = divmod(k, 12)
            d = dt.date(2026 + y, m + 1, min(day, 28 if m == 1 else 30 if m in (3, 5, 8, 10) else 31))
        else:
            d = d + dt.timedelta(days=draw(st.integers(0, 200)))
        days.append(d)
    values = [-draw(st.floats(10, 200)) for _ in range(n_fund)]
    values += [draw(st.sampled_from([0.0, 5.0, 30.0, 80.0])) for _ in range(n_dist)]
    return values, days


@st.composite
def cases(draw: st.DrawFn) -> tuple:
    values, days = _schedule(draw)
    compounding = draw(st.sampled_from(["annual", "monthly", "continuous", "simple"]))
    day_count = draw(st.sampled_from(["ACT/365F", "ACT/360"]))
    if draw(st.booleans()):
        rate: float | RateSchedule = draw(st.sampled_from([0.0, 0.03, 0.07]))
    else:
        rate = RateSchedule.from_rows(
            [(D0 - dt.timedelta(days=1), 0.04), (D0 + dt.timedelta(days=900), 0.06)]
        )
    terms = Terms(rate, day_count=day_count, compounding=compounding)
    model = RiskModel(
        rate_vol=draw(st.sampled_from([0.0, 0.01, 0.03])),
        cash_vol=draw(st.sampled_from([0.0, 0.3])),
        delay_months=draw(st.sampled_from([0.0, 2.0, 12.0])),
        stop_hazard=draw(st.sampled_from([0.0, 0.05, 0.3])),
    )
    return values, days, terms, model, draw(st.integers(0, 1000))


def _general(monkeypatch: pytest.MonkeyPatch, run):  # type: ignore[no-untyped-def]
    with monkeypatch.context() as m:
        m.setattr(engine, "GENERAL_ONLY", True)
        return run()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases())
def test_fast_path_equals_the_general_path_bitwise_on_random_models(monkeypatch, case):
    """Delays whose plans were built for the chunk, and (PLAN_BYTES small) delays built per scenario."""
    values, days, terms, model, seed = case

    def run():  # type: ignore[no-untyped-def]
        return simulate(values, days, terms, model=model, scenarios=150, seed=seed, threads=2)

    fast, general = run(), _general(monkeypatch, run)
    with monkeypatch.context() as m:
        m.setattr(fast_module, "PLAN_BYTES", 24 * 40 * (seed % 3))  # no, one or two delays built ahead
        unplanned = run()
    pd.testing.assert_frame_equal(unplanned.distributions, general.distributions, check_exact=True)
    pd.testing.assert_frame_equal(fast.distributions, general.distributions, check_exact=True)
    pd.testing.assert_frame_equal(fast.fan, general.fan, check_exact=True)


def _program(draw_values: list[tuple[list[float], list[dt.date]]]) -> Portfolio:
    spvs, flows = [], []
    for i, (values, days) in enumerate(draw_values):
        spvs.append(
            {"id": f"S{i}", "name": f"S{i}", "sector": "energy", "notice_date": days[0], "committed": 1e4}
        )
        flows += [{"spv_id": f"S{i}", "date": d, "value": v} for d, v in zip(days, values, strict=True)]
    return Portfolio.from_tables(spvs, flows)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.builds(lambda c: c, cases()), min_size=2, max_size=4))
def test_fast_program_equals_the_general_path(monkeypatch, spv_cases):
    p = _program([(c[0], c[1]) for c in spv_cases])
    terms, model, seed = spv_cases[0][2], spv_cases[0][3], spv_cases[0][4]

    def run():  # type: ignore[no-untyped-def]
        return simulate_program(p, terms, model=model, scenarios=120, seed=seed, threads=2)

    fast, general = run(), _general(monkeypatch, run)
    spv_rows = [f for f in fast.summary.index if not f.startswith("xirr")]
    pd.testing.assert_frame_equal(fast.summary.iloc[:, :-1], general.summary.iloc[:, :-1])  # per SPV: exact
    pd.testing.assert_frame_equal(fast.summary.loc[spv_rows], general.summary.loc[spv_rows])
    pd.testing.assert_frame_equal(fast.fan, general.fan, check_exact=True)
    a, b = fast.distributions, general.distributions
    pd.testing.assert_series_equal(a["unrecovered"], b["unrecovered"], check_exact=True)
    pd.testing.assert_series_equal(a["threshold_date"], b["threshold_date"], check_exact=True)
    assert np.allclose(a["xirr_japan"], b["xirr_japan"], rtol=1e-9, atol=1e-12, equal_nan=True)


def test_figures_do_not_depend_on_threads_or_how_chunks_share_them():
    """Ranges of one chunk on threads, and whole chunks side by side (from 2 x threads chunks)."""
    values = [-100.0, -50.0] + [12.0] * 30
    days = [D0 + dt.timedelta(days=30 * k) for k in range(32)]
    runs = [
        simulate(values, days, Terms(0.05), scenarios=5 * 8192 + 7, seed=9, threads=t).distributions
        for t in (1, 2, 3)
    ]
    for other in runs[1:]:
        pd.testing.assert_frame_equal(runs[0], other, check_exact=True)


@pytest.mark.parametrize("changes", [[], [100], [-50, 10, 10_000], [0, 31, 59, 400, 401]])
def test_kernel_plan_is_the_cores_plan(changes):
    """The per-scenario plan the kernel builds equals xlspv.accrual.plan bitwise (ACT/365F, ACT/360)."""
    rng = np.random.default_rng(len(changes))
    cd = np.sort(rng.integers(0, 700, 40)).astype(np.int64) + 740_000
    ch = np.array(changes, dtype=np.int64) + 740_000
    for name, basis in (("ACT/365F", 365.0), ("ACT/360", 360.0)):
        p = plan(name, cd, ch if ch.size else None)
        f = np.empty(80)
        per = np.empty(80, dtype=np.int64)
        ends = np.empty(40, dtype=np.int64)
        pieces = _plan_row(
            cd, cd.size, ch if ch.size > 1 else np.array([0], dtype=np.int64), basis, f, per, ends
        )
        assert np.array_equal(f[:pieces], p.fractions[0]) and np.array_equal(per[:pieces], p.period[0])
        assert np.array_equal(ends, p.ends[0])


def test_kernel_edate_is_excels_edate():
    """Month-end clamping included (31 Jan + 1 month = 28/29 Feb), as add_months."""
    days = np.array([dt.date(2027, 1, 31).toordinal(), dt.date(2028, 1, 30).toordinal(), 740_123])
    months, dom = month_parts(days)
    month0 = int(months.min())
    table = (
        np.arange(month0, month0 + 80).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        + 719163
    )
    for k in range(30):
        got = [_edate(m, d, k, month0, table) for m, d in zip(months, dom, strict=True)]
        assert got == add_months(months, dom, np.full(3, k)).tolist()


def test_thirty_360_runs_the_general_path():
    from xlspv.risk.scenarios import Schedule

    t = Terms(0.05, day_count="30/360")
    s = Schedule("x", np.array([-1.0, 2.0]), np.array([740_000, 740_400]), t)
    assert not runs_fast(problem([s], False))
    values, days = [-100.0, 150.0, 150.0], [D0, dt.date(2029, 2, 28), dt.date(2030, 1, 31)]
    r = simulate(values, days, t, model=RiskModel.deterministic(), scenarios=3)
    expected = compute(values, days, t).summary()
    assert r.figures["threshold_p50"] == expected.threshold_date
    assert r.figures["xirr_japan_p50"] == expected.xirr_japan


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_pool_gives_every_result_in_job_order(threads):
    from xlspv.risk.pool import in_order

    jobs = [lambda i=i: i * i for i in range(11)]
    assert list(in_order(jobs, [1] * 11, threads)) == [i * i for i in range(11)]


def test_pool_keeps_threads_when_they_prove_faster_and_passes_errors_on():
    """Jobs that wait without the GIL finish sooner side by side: the rest runs on the pool's threads."""
    import threading
    import time

    from xlspv.risk.pool import in_order

    main = threading.get_ident()
    where: list[int] = []

    def wait() -> int:
        time.sleep(0.05)
        where.append(threading.get_ident())
        return 1

    assert sum(in_order([wait] * 8, [1] * 8, 2)) == 8
    assert where[0] == main and main not in where[3:]  # after the probes (1 alone; 2 and 3), on the pool

    def fail() -> int:
        raise ValueError("job failed")

    with pytest.raises(ValueError, match="job failed"):
        list(in_order([wait, wait, wait, wait, fail, wait], [1] * 6, 2))
