"""Loading the program view's kernels while the input is read (:mod:`xlspv.portfolio.warm`)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from xlspv._jit import HAVE_NUMBA
from xlspv.portfolio import warm
from xlspv.portfolio.warm import WARM_SPVS, warming_up


def _warm_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "xlspv-warm-up"]


def test_no_thread_outlives_the_block_even_when_the_block_fails() -> None:
    with warming_up():
        assert _warm_threads()  # running beside the block
    assert not _warm_threads()
    with pytest.raises(KeyError), warming_up():
        raise KeyError("read failed")
    assert not _warm_threads()


def test_a_failing_warm_up_is_silent_and_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []
    monkeypatch.setattr(threading, "excepthook", seen.append)

    def fail(*args: object, **kwargs: object) -> None:
        raise MemoryError("no memory for the warm-up")

    monkeypatch.setattr(warm, "analyse", fail)
    started = time.perf_counter()
    with warming_up():
        pass
    assert seen == []  # no traceback printed for the user: the real run reports any real failure
    assert time.perf_counter() - started < 30


def test_the_made_up_program_takes_the_threaded_kernels() -> None:
    from xlspv.batch import PARALLEL_FROM

    assert WARM_SPVS >= PARALLEL_FROM
    assert len(warm._made_up_program().spvs) == WARM_SPVS


# A fresh interpreter: the program view of another program (other dates, sizes, rates, padding) after
# the warm-up asks numba for no kernel it has not loaded yet.
_AFTER_WARM_UP = """
import datetime as dt
import numpy as np
import numba.core.dispatcher as d
from xlspv.portfolio import Portfolio, analyse
from xlspv.portfolio.warm import warming_up
from xlspv.terms import Terms

with warming_up():
    rng = np.random.default_rng(7)
    spvs, ids, dates, values = [], [], [], []
    for k in range(150):
        n = int(rng.integers(3, 40))
        spvs.append({"id": f"P{k}", "name": "", "sector": "energy", "notice_date": dt.date(2025, 1, 2),
                     "committed": 500.0})
        ids += [f"P{k}"] * n
        dates += [np.datetime64("2025-03-31") + np.timedelta64(30 * i, "D") for i in range(n)]
        values += [-rng.uniform(50, 100)] + list(rng.uniform(0, 30, n - 1))
    p = Portfolio.from_tables(spvs, {"spv_id": ids, "date": np.array(dates), "value": np.array(values)})

calls = []
original = d.Dispatcher._compile_for_args
def counted(self, *args, **kwargs):
    calls.append(self.py_func.__qualname__)
    return original(self, *args, **kwargs)
d.Dispatcher._compile_for_args = counted
r = analyse(p, Terms(0.045), rates=[0.03, 0.05, 0.06])
assert len(r.spvs) == 150
print(sorted(set(calls)))
"""


@pytest.mark.skipif(not HAVE_NUMBA, reason="without numba there is nothing to load")
def test_after_the_warm_up_the_program_view_loads_no_kernel() -> None:
    out = subprocess.run([sys.executable, "-c", _AFTER_WARM_UP], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout


def test_without_a_thread_the_block_still_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    ran = []
    with warming_up():
        ran.append(True)
    assert ran == [True]
