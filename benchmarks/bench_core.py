"""Core speed, measured side by side in one run (numbers go to the README and the issue notes).

- Batch waterfall: 10,000 scenarios x 480 monthly rows, against a bare numpy cumulative sum over the
  same array (the floor for any pass over that much data).
- XIRR of 40 annual flows: per call against ``pyxirr.xirr`` (Rust) and ``numpy_financial.irr`` on the
  equivalent periodic flows.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_core.py``). Each figure is the best of
several repeats, after a warm-up call that also compiles the numba kernels.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import xlspv  # noqa: E402


def best_of(func: Callable[[], object], repeats: int = 5, number: int = 1) -> float:
    """Best time per call over ``repeats`` runs of ``number`` calls, in seconds."""
    func()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def monthly_dates(n: int, start: dt.date = dt.date(2026, 1, 31)) -> np.ndarray:
    months = np.arange(n) + (start.year - 1970) * 12 + start.month - 1
    return (months + 1).astype("datetime64[M]").astype("datetime64[D]") - 1  # month ends


def scenarios(n_scen: int, n_rows: int, seed: int = 7) -> np.ndarray:
    """Fundings in the first 24 months, then noisy distributions that ramp up."""
    rng = np.random.default_rng(seed)
    values = np.empty((n_scen, n_rows))
    values[:, :24] = -rng.uniform(50, 150, size=(n_scen, 24))
    ramp = np.minimum(1.0, np.arange(n_rows - 24) / 60.0)
    values[:, 24:] = rng.uniform(5, 40, size=(n_scen, n_rows - 24)) * ramp
    return values


def bench_batch() -> dict[str, float]:
    n_scen, n_rows = 10_000, 480
    values = scenarios(n_scen, n_rows)
    dates = monthly_dates(n_rows)
    terms = xlspv.Terms(0.05)
    batch = best_of(lambda: xlspv.waterfall_batch(values, dates, terms))
    cumsum = best_of(lambda: np.cumsum(values, axis=1))
    rates = np.linspace(0.0, 0.12, n_scen)
    grid = best_of(lambda: xlspv.waterfall_batch(values[0], dates, terms, deemed_rates=rates))
    return {"batch_s": batch, "cumsum_s": cumsum, "ratio": batch / cumsum, "rate_grid_s": grid}


def bench_xirr() -> dict[str, float]:
    import numpy_financial as npf
    import pyxirr

    dates = [dt.date(2025 + i, 1, 1) for i in range(40)]
    values = [-1000.0] + [80.0 + 2.0 * i for i in range(39)]
    assert abs(xlspv.xirr(values, dates) - pyxirr.xirr(dates, values)) < 1e-9
    ours = best_of(lambda: xlspv.xirr(values, dates), number=2000)
    theirs = best_of(lambda: pyxirr.xirr(dates, values), number=2000)
    npf_irr = best_of(lambda: npf.irr(values), number=200)
    ours_irr = best_of(lambda: xlspv.irr(values), number=2000)
    return {
        "xirr_us": ours * 1e6,
        "pyxirr_us": theirs * 1e6,
        "ratio_vs_pyxirr": ours / theirs,
        "irr_us": ours_irr * 1e6,
        "npf_irr_us": npf_irr * 1e6,
        "npf_over_xirr": npf_irr / ours,
    }


def main() -> None:
    print(f"xlspv {xlspv.__version__}, Python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} cores")
    b = bench_batch()
    print(f"batch waterfall 10,000 x 480: {b['batch_s'] * 1e3:8.1f} ms "
          f"(numpy cumsum same array {b['cumsum_s'] * 1e3:.1f} ms; ratio {b['ratio']:.2f}x)")
    print(f"deemed-rate grid 10,000 rates x 480 rows: {b['rate_grid_s'] * 1e3:8.1f} ms")
    x = bench_xirr()
    print(f"xirr 40 annual flows: {x['xirr_us']:.2f} us per call; pyxirr {x['pyxirr_us']:.2f} us "
          f"(ratio {x['ratio_vs_pyxirr']:.2f}x)")
    print(f"irr 40 periodic flows: {x['irr_us']:.2f} us; numpy_financial.irr {x['npf_irr_us']:.1f} us "
          f"(npf / xlspv.xirr = {x['npf_over_xirr']:.0f}x)")


if __name__ == "__main__":
    main()
