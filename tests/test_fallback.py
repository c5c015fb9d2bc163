"""Without numba (xlwings Lite runs on Pyodide, where numba does not exist) the core gives the same numbers.

Each check runs the built-in example in a fresh interpreter where importing numba fails, and compares
its table, summary and a batch with the compiled run in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import xlspv
from xlspv.examples import spv as example

SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.modules["numba"] = None  # importing numba now raises ImportError, as on Pyodide
    import numpy as np
    import xlspv
    from xlspv import _jit
    from xlspv.examples import spv as example
    SCHEDULED = xlspv.Terms(0.055, allocation_basis="scheduled", useful_life=7, day_count="30/360")
    assert not _jit.HAVE_NUMBA
    w = xlspv.compute(example.values(), example.dates(), example.TERMS)
    s = w.summary()
    b = xlspv.waterfall_batch(example.values(), example.dates(), example.TERMS,
                              deemed_rates=[0.0, 0.055, 0.2])
    from xlspv.examples import portfolio as example_portfolio
    from xlspv.portfolio import analyse
    p = analyse(example_portfolio.portfolio(), rates=())
    paths = np.array([[0.05, 0.07, 0.02], [0.0, 0.1, 0.3], [0.2, -0.1, 0.05]])
    resets = np.array(["2020-01-01", "2027-06-30", "2031-12-31"], dtype="datetime64[D]")
    sm = xlspv.waterfall_summary(np.array(example.values(), dtype=float), example.dates(), example.TERMS,
                                 deemed_rates=paths, rate_dates=resets, xirr=True, balance_at=[5, -1])
    from xlspv.xirr import _scan
    close = [-1.0, 2.2001, -1.21011]
    ws = xlspv.compute(example.values(), example.dates(), SCHEDULED)
    print(json.dumps({
        "scheduled": [ws.japan.tolist(), ws.balance.tolist(), ws.interest.tolist(), ws.tier_codes.tolist(),
                      ws.schedule["due"].tolist(), ws.schedule["paid"].tolist()],
        "summary": [sm.unrecovered.tolist(), sm.japan_received.tolist(), sm.us_received.tolist(),
                    sm.threshold_row.tolist(), sm.xirr_japan.tolist(), sm.balance_at.tolist()],
        "scan": [_scan(np.array([-1e-6, 1e6]), np.array([0.0, 365.0]), 0.1),
                 _scan(np.array(close), np.array([0.0, 365.0, 730.0]), 0.0),
                 _scan(np.array(close), np.array([0.0, 365.0, 730.0]), 1.0)],
        "japan": w.japan.tolist(), "balance": w.balance.tolist(), "tiers": w.tiers.tolist(),
        "threshold": str(s.threshold_date), "xirr_japan": s.xirr_japan,
        "batch_japan": b.japan.tolist(), "batch_xirr": b.xirr("japan").tolist(),
        "portfolio_japan": p.spvs["japan_received"].tolist(),
        "portfolio_years": p.years["japan_received"].tolist(),
    }))
    """
)


@pytest.fixture(scope="module")
def plain_python() -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_plain_python_core_matches_compiled_core(plain_python: dict) -> None:
    w = xlspv.compute(example.values(), example.dates(), example.TERMS)
    s = w.summary()
    np.testing.assert_allclose(plain_python["japan"], w.japan, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(plain_python["balance"], w.balance, rtol=1e-12, atol=1e-9)
    assert plain_python["tiers"] == w.tiers.tolist()
    assert plain_python["threshold"] == str(s.threshold_date)
    assert plain_python["xirr_japan"] == pytest.approx(s.xirr_japan, rel=1e-12)


def test_plain_python_batch_matches_compiled_batch(plain_python: dict) -> None:
    rates = [0.0, 0.055, 0.2]
    b = xlspv.waterfall_batch(example.values(), example.dates(), example.TERMS, deemed_rates=rates)
    np.testing.assert_allclose(plain_python["batch_japan"], b.japan, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(plain_python["batch_xirr"], b.xirr("japan"), rtol=1e-12)


def test_plain_python_portfolio_matches_compiled_portfolio(plain_python: dict) -> None:
    from xlspv.examples import portfolio as example_portfolio
    from xlspv.portfolio import analyse

    p = analyse(example_portfolio.portfolio(), rates=())
    np.testing.assert_allclose(plain_python["portfolio_japan"], p.spvs["japan_received"], rtol=1e-12)
    np.testing.assert_allclose(plain_python["portfolio_years"], p.years["japan_received"], rtol=1e-12)


def test_plain_python_summary_and_root_scan_match_compiled(plain_python: dict) -> None:
    from xlspv.xirr import _scan

    paths = np.array([[0.05, 0.07, 0.02], [0.0, 0.1, 0.3], [0.2, -0.1, 0.05]])
    resets = np.array(["2020-01-01", "2027-06-30", "2031-12-31"], dtype="datetime64[D]")
    sm = xlspv.waterfall_summary(
        np.array(example.values(), dtype=float),
        example.dates(),
        example.TERMS,
        deemed_rates=paths,
        rate_dates=resets,
        xirr=True,
        balance_at=[5, -1],
    )
    compiled = [
        sm.unrecovered,
        sm.japan_received,
        sm.us_received,
        sm.threshold_row,
        sm.xirr_japan,
        sm.balance_at,
    ]
    for plain, fast in zip(plain_python["summary"], compiled, strict=True):
        np.testing.assert_allclose(plain, fast, rtol=1e-12, atol=1e-9)
    close = [-1.0, 2.2001, -1.21011]
    scans = [
        _scan(np.array([-1e-6, 1e6]), np.array([0.0, 365.0]), 0.1),
        _scan(np.array(close), np.array([0.0, 365.0, 730.0]), 0.0),
        _scan(np.array(close), np.array([0.0, 365.0, 730.0]), 1.0),
    ]
    np.testing.assert_allclose(plain_python["scan"], scans, rtol=1e-9)


def test_plain_python_scheduled_reading_matches_compiled(plain_python: dict) -> None:
    terms = xlspv.Terms(0.055, allocation_basis="scheduled", useful_life=7, day_count="30/360")
    ws = xlspv.compute(example.values(), example.dates(), terms)
    compiled = [ws.japan, ws.balance, ws.interest, ws.tier_codes, ws.schedule["due"], ws.schedule["paid"]]
    for plain, fast in zip(plain_python["scheduled"], compiled, strict=True):
        np.testing.assert_allclose(plain, fast, rtol=1e-12, atol=1e-9)
