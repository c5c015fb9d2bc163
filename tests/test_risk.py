"""The risk model (issue 17): validation, the degenerate model, known answers, determinism.

Known answers come from closed forms worked by hand (sources in each test), not from the code under
test; Monte Carlo answers are compared within 4 standard errors at a fixed seed.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from xlspv import Terms, compute
from xlspv.errors import RiskModelError, SpvError
from xlspv.examples import portfolio as example_portfolio
from xlspv.examples import spv as example
from xlspv.risk import MAX_SCENARIOS, RiskModel, simulate, simulate_program
from xlspv.risk.model import check_scenarios
from xlspv.risk.scenarios import CHUNK, benchmark_shifts, cash_factors, delays

D0 = dt.date(2025, 1, 1)


# ---- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"rate_vol": -0.01}, "rate_vol: -0.01 is negative; a volatility must be 0 or more."),
        ({"cash_vol": -1}, "cash_vol: -1.0 is negative; a volatility must be 0 or more."),
        ({"correlation": 1.5}, "correlation: 1.5 is outside [-1, 1]; enter a correlation such as 0.3."),
        ({"correlation": -1.01}, "correlation: -1.01 is outside [-1, 1]; enter a correlation such as 0.3."),
        ({"stop_hazard": "x"}, "stop_hazard: 'x' is not a number; enter a number."),
        ({"delay_months": float("nan")}, "delay_months: nan is not a finite number; enter a number."),
        ({"rate_reversion": -0.1}, "rate_reversion: -0.1 is negative; a reversion speed must be 0 or more."),
        ({"rate_start": -2.0}, "rate_start: -2.0 is -100% a year or below; enter a level such as 0.04."),
        ({"rate_mean": "-100%"}, "rate_mean: '-100%' is -100% a year or below; enter a level such as 0.04."),
    ],
    ids=[
        "negative rate_vol",
        "negative cash_vol",
        "correlation above 1",
        "correlation below -1",
        "text hazard",
        "nan delay",
        "negative reversion",
        "rate_start -200%",
        "rate_mean -100%",
    ],
)
def test_bad_model_values_get_one_clear_error(kwargs, message):
    with pytest.raises(RiskModelError) as err:
        RiskModel(**kwargs)
    assert str(err.value) == message
    assert isinstance(err.value, SpvError)


@pytest.mark.parametrize("scenarios", [0, -5, MAX_SCENARIOS + 1, 2.5])
def test_scenarios_outside_the_stated_limit_are_refused(scenarios):
    with pytest.raises(RiskModelError, match=r"^scenarios: "):
        check_scenarios(scenarios)


def test_model_is_immutable_and_reads_name_value_rows():
    m = RiskModel.from_mapping([("Cash vol", "20%"), ("rate-mean", 0.05), (None, None)])
    assert (m.cash_vol, m.rate_mean, m.rate_level) == (0.2, 0.05, 0.05)
    with pytest.raises(AttributeError):
        m.cash_vol = 0.1  # type: ignore[misc]
    with pytest.raises(RiskModelError, match="is not a model parameter"):
        RiskModel.from_mapping([("volatility", 0.1)])


def test_negative_correlation_beyond_what_the_spvs_can_share_is_refused():
    with pytest.raises(RiskModelError, match=r"below -1/9"):
        cash_factors(RiskModel(correlation=-0.5), np.zeros((3, 10)))


# ---- degenerate model = the deterministic waterfall -----------------------------------------------


def _example_short():
    """The example SPV cut after ten years of distributions: its threshold is not reached."""
    rows = [(d, v) for d, v in zip(example.dates(), example.values(), strict=True) if d < dt.date(2033, 1, 1)]
    return [v for _, v in rows], [d for d, _ in rows]


@pytest.mark.parametrize("cut", [False, True], ids=["recovered", "not recovered"])
def test_degenerate_model_is_the_deterministic_waterfall(cut):
    values, dates = _example_short() if cut else (example.values(), example.dates())
    expected = compute(values, dates, example.TERMS).summary()
    r = simulate(values, dates, example.TERMS, model=RiskModel.deterministic(), scenarios=300, seed=7)
    f = r.figures
    assert f["recovery_probability"] == (0.0 if cut else 1.0)
    assert f["threshold_p10"] == f["threshold_p90"] == expected.threshold_date
    assert (r.distributions["unrecovered"] == expected.unrecovered).all()
    assert f["unrecovered_p99"] == expected.unrecovered
    xirr = r.distributions["xirr_japan"]
    assert (xirr == expected.xirr_japan).all() if expected.xirr_japan is not None else xirr.isna().all()


def test_degenerate_program_is_each_spvs_deterministic_waterfall():
    p = example_portfolio.portfolio()
    terms = Terms(0.05)
    r = simulate_program(p, terms, model=RiskModel.deterministic(), scenarios=20, seed=1)
    total = 0.0
    for j, (spv, t) in enumerate(zip(p.spvs, p.terms_for(terms), strict=True)):
        rows = p.flow_spv == j
        s = compute(p.flow_values[rows], p.flow_days[rows] - 693594, t).summary()  # Excel serials
        col = r.summary[spv.id]
        assert col["threshold_p50"] == s.threshold_date
        assert col["unrecovered_p95"] == s.unrecovered  # a quantile is one of the scenarios: exact
        assert col["xirr_japan_p50"] == s.xirr_japan
        total += s.unrecovered
    assert r.summary["Program"]["unrecovered_mean"] == pytest.approx(total, rel=1e-12)


@pytest.mark.parametrize("day_count", ["ACT/365F", "30/360"])  # the compiled path, and the general one
def test_degenerate_program_xirr_is_xirr_of_its_flows_where_they_have_two_roots(day_count):
    """Japan receives 100 (2027), funds 300 twice (2029, 2030), receives 200 (2032): the flows change
    sign twice and have two IRRs (about -34.6% and +105.5%); XIRR from 10% reaches +105.5%. The
    risk run's program XIRR must be that one on either path (found by an independent review: the
    compiled path once started from the money multiple and reported -34.6%)."""
    from xlspv import xirr
    from xlspv.portfolio import Portfolio

    a = [(dt.date(2027, 1, 1), 100.0), (dt.date(2029, 1, 1), -300.0)]
    b = [(dt.date(2030, 1, 1), -300.0), (dt.date(2032, 1, 1), 200.0)]
    spvs = [
        {"id": k, "name": k, "sector": "x", "notice_date": dt.date(2026, 6, 1), "committed": 1000.0}
        for k in "AB"
    ]
    flows = [{"spv_id": "A", "date": d, "value": v} for d, v in a]
    flows += [{"spv_id": "B", "date": d, "value": v} for d, v in b]
    terms = Terms(0.0, japan_share_before=1.0, japan_share_after=1.0, day_count=day_count)
    r = simulate_program(
        Portfolio.from_tables(spvs, flows), terms, model=RiskModel.deterministic(), scenarios=1
    )
    expected = xirr([v for _, v in a + b], [d for d, _ in a + b])
    assert expected == pytest.approx(1.0545614675687156, rel=1e-12)
    assert r.summary["Program"]["xirr_japan_p50"] == expected


# ---- known answers --------------------------------------------------------------------------------

#: Japan funds 100; four yearly distributions of 50 at a 0% deemed rate: Japan's half clears exactly
#: 100 on the fourth (1 Jan 2029), and only if the project has not stopped before then.
KNOWN = ([-100.0, 50, 50, 50, 50], [dt.date(2025 + k, 1, 1) for k in range(5)])


def test_stop_hazard_alone_recovers_with_probability_exp_minus_hazard_times_years():
    hazard, n = 0.1, 40_000
    model = RiskModel.deterministic().replace(stop_hazard=hazard)
    r = simulate(*KNOWN, Terms(0.0), model=model, scenarios=n, seed=11)
    years = (dt.date(2029, 1, 1) - D0).days / 365.25  # stop times are measured in years of 365.25 days
    expected = math.exp(-hazard * years)  # P(exponential stop time > years)
    p = r.figures["recovery_probability"]
    se = math.sqrt(expected * (1 - expected) / n)
    assert abs(p - expected) < 4 * se
    assert r.figures["recovery_probability_se"] == pytest.approx(se, rel=0.02)


@pytest.mark.parametrize("reversion", [0.0, 0.1, 0.5])
def test_rate_process_mean_and_variance_match_the_closed_form(reversion):
    """Ornstein-Uhlenbeck: E r(t) = m + (r0 - m) e^(-kt), Var r(t) = v^2 (1 - e^(-2kt)) / 2k.

    At k = 0 the variance is v^2 t.
    """
    model = RiskModel(rate_vol=0.01, rate_reversion=reversion, rate_start=0.04, rate_mean=0.03)
    n, periods = 50_000, 21
    shifts = benchmark_shifts(model, np.random.default_rng(3), n, periods)
    for p in (1, 4, 20):
        t = p * 0.5
        mean = 0.03 + (0.04 - 0.03) * math.exp(-reversion * t) - 0.04
        var = 0.01**2 * ((1 - math.exp(-2 * reversion * t)) / (2 * reversion) if reversion else t)
        assert abs(shifts[:, p].mean() - mean) < 4 * math.sqrt(var / n)
        assert abs(shifts[:, p].var() / var - 1) < 4 * math.sqrt(2 / n)


def test_cash_factors_have_mean_one_and_the_given_correlation():
    model = RiskModel(cash_vol=0.3, correlation=0.3)
    z = np.random.default_rng(5).standard_normal((100_000, 3))
    f = cash_factors(model, z)
    logs = np.log(f)
    assert abs(f.mean() - 1) < 4 * math.sqrt(math.expm1(0.09) / f.size)
    assert np.corrcoef(logs.T)[0, 1] == pytest.approx(0.3, abs=0.02)


def test_delays_are_geometric_with_the_given_mean():
    u = np.random.default_rng(9).random(200_000)
    d = delays(RiskModel(delay_months=12), u)
    assert d.min() == 0 and abs(d.mean() - 12) < 4 * math.sqrt(12 * 13 / d.size)  # Var = m (1 + m)


def test_more_stop_hazard_never_raises_the_recovery_probability():
    base = RiskModel(delay_months=3)
    probs = [
        simulate(
            example.values(),
            example.dates(),
            example.TERMS,
            model=base.replace(stop_hazard=h),
            scenarios=3000,
            seed=2,
        ).figures["recovery_probability"]
        for h in (0.0, 0.01, 0.03, 0.1)
    ]
    assert probs == sorted(probs, reverse=True) and probs[0] > probs[-1]


# ---- determinism ----------------------------------------------------------------------------------


def test_first_scenarios_do_not_depend_on_how_many_are_run():
    small = simulate(example.values(), example.dates(), example.TERMS, scenarios=100, seed=4)
    large = simulate(example.values(), example.dates(), example.TERMS, scenarios=CHUNK + 50, seed=4)
    pd.testing.assert_frame_equal(small.distributions, large.distributions.iloc[:100])


def test_another_seed_gives_other_figures():
    a = simulate(*KNOWN, Terms(0.05), scenarios=500, seed=1).distributions
    b = simulate(*KNOWN, Terms(0.05), scenarios=500, seed=2).distributions
    assert not a.equals(b)


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_same_seed_same_figures_on_dask_local_schedulers(scheduler):
    args = (example.values(), example.dates(), example.TERMS)
    n = 2 * CHUNK + 77
    here = simulate(*args, scenarios=n, seed=5)
    there = simulate(*args, scenarios=n, seed=5, scheduler=scheduler)
    pd.testing.assert_frame_equal(here.summary, there.summary)
    pd.testing.assert_frame_equal(here.distributions, there.distributions)


def test_unknown_scheduler_is_refused():
    with pytest.raises(RiskModelError, match="is not a scheduler"):
        simulate(*KNOWN, Terms(0.05), scenarios=10, scheduler="gpu")


# ---- the command and the workbook -----------------------------------------------------------------


def test_cli_prints_name_value_lines_and_refuses_bad_model_values_with_exit_2():
    from click.testing import CliRunner

    from xlspv.cli import main

    ok = CliRunner().invoke(main, ["risk", "--scenarios", "500", "--seed", "3", "--stop-hazard", "0.02"])
    assert ok.exit_code == 0, ok.output
    lines = ok.output.splitlines()
    assert lines[1].split()[0] == "recovery_probability" and lines[-1].split() == ["scenarios", "500"]
    bad = CliRunner().invoke(main, ["risk", "--correlation", "2"])
    assert bad.exit_code == 2
    assert bad.output.strip().endswith(
        "correlation: 2.0 is outside [-1, 1]; enter a correlation such as 0.3."
    )


def test_risk_workbook_checks_hold_after_libreoffice_recalculation(tmp_path):
    from libreoffice import recalculate
    from openpyxl import load_workbook

    from xlspv.risk import simulate
    from xlspv.workbooks.risk_report import write_risk_report

    r = simulate(example.values(), example.dates(), example.TERMS, scenarios=3000, seed=1)
    single = write_risk_report(r, example.TERMS, tmp_path / "risk.xlsx", input_path=None)
    p = example_portfolio.portfolio()
    rp = simulate_program(p, Terms(0.05), model=RiskModel(stop_hazard=0.0), scenarios=300, seed=1)
    program = write_risk_report(rp, Terms(0.05), tmp_path / "program.xlsx", input_path=None)
    for path in recalculate([single, program], tmp_path / "lo"):
        wb = load_workbook(path, data_only=True)
        checks = wb["Checks"]
        results = [checks.cell(row=r, column=3).value for r in range(7, checks.max_row + 1)]
        assert results and all(v is True for v in results), (path.name, results)
        assert checks["C4"].value is True
    wb = load_workbook(program)
    assert [c.value for c in wb["Figures"][4]][-1] == "Program" and wb.sheetnames[0] == "Cover"


# ---- Japan's XIRR of Monte Carlo series, and the compiled kernel against the general path ----------


def _stopped_early(n_rows: int = 240, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Series like a risk run's: 60 monthly fundings of 100, then distributions cut at a random month."""
    rng = np.random.default_rng(seed)
    days = np.array([dt.date(2026 + k // 12, k % 12 + 1, 1).toordinal() for k in range(n_rows)])
    values = np.where(np.arange(n_rows) < 60, -100.0, 20.0)[None, :].repeat(200, axis=0)
    stop = rng.integers(66, n_rows, size=200)
    values[np.arange(n_rows)[None, :] >= stop[:, None]] = 0.0
    return values, days


def test_xirr_many_finds_far_roots_that_equal_xirr_and_zero_the_xnpv():
    from xlspv import xirr, xirr_many

    values, days = _stopped_early()
    rates = xirr_many(values, days)
    dates = [dt.date.fromordinal(int(d)) for d in days]
    assert rates.min() < -0.4  # projects that stop early: roots far below the 0.1 guess
    for v, r in zip(values, rates, strict=True):
        assert r == pytest.approx(xirr(list(v), dates), rel=1e-12)
        disc = v * (1 + r) ** (-(days - days[0]) / 365.0)  # XNPV at the rate, evaluated by numpy
        assert abs(disc.sum()) <= 1e-9 * np.abs(disc).sum()


def test_xirr_many_closed_form_of_a_tiny_payback():
    """-100 then +x one 365-day year later: IRR = x / 100 - 1 (worked by hand), here -99.99%."""
    from xlspv import xirr_many

    days = np.array([dt.date(2025, 1, 1).toordinal(), dt.date(2026, 1, 1).toordinal()])
    rates = xirr_many(np.array([[-100.0, 0.01], [-100.0, 50.0]]), days, guess=np.array([0.1, 0.2]))
    assert rates == pytest.approx([0.01 / 100 - 1, -0.5], rel=1e-12)


def test_xirr_many_refuses_a_guess_per_series_of_the_wrong_size():
    from xlspv import xirr_many

    with pytest.raises(SpvError, match="guess: give one rate, or 2 finite rates"):
        xirr_many(np.array([[-1.0, 2.0], [-1.0, 3.0]]), np.array([1, 400]), guess=np.array([0.1, 0.1, 0.1]))


def test_delays_in_the_compiled_kernel_give_the_general_paths_figures_exactly(monkeypatch):
    """A monthly schedule with delays and stops: the fast path's figures are the general path's (the
    scenarios' rows as arrays, then the core's batch) to the last bit: same rows, same accrual plan,
    the same compiled growth, rule and XIRR."""
    from xlspv.risk import engine

    days = [dt.date(2026 + k // 12, k % 12 + 1, 28) for k in range(120)]
    values = [-100.0 if k < 24 else 60.0 for k in range(120)]
    model = RiskModel(delay_months=6, stop_hazard=0.05)
    fast = simulate(values, days, Terms(0.06), model=model, scenarios=600, seed=3).distributions
    monkeypatch.setattr(engine, "GENERAL_ONLY", True)
    general = simulate(values, days, Terms(0.06), model=model, scenarios=600, seed=3).distributions
    pd.testing.assert_frame_equal(fast, general, check_exact=True)
    assert (general["unrecovered"] > 0).any() and general["xirr_japan"].isna().any()
