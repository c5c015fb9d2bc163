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
    assert not _jit.HAVE_NUMBA
    w = xlspv.compute(example.values(), example.dates(), example.TERMS)
    s = w.summary()
    b = xlspv.waterfall_batch(example.values(), example.dates(), example.TERMS,
                              deemed_rates=[0.0, 0.055, 0.2])
    from xlspv.examples import portfolio as example_portfolio
    from xlspv.portfolio import analyse
    p = analyse(example_portfolio.portfolio(), rates=())
    print(json.dumps({
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
