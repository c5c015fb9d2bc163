"""Loading the program view's compiled kernels while the caller reads its input.

numba keeps each compiled kernel on disk, but a fresh process still pays to load them: about 0.7-0.9 s
for the program view (numba sets up its compiler's registries on first use, imports what its array
support needs, then loads each kernel the run calls). None of that depends on the input. While the
command line reads a program (mostly pandas' parser, which runs with the GIL released on this
machine's second core), :func:`warming_up` runs the program view once on a small made-up program, so
the real run finds every kernel loaded.

The made-up program has :data:`WARM_SPVS` SPVs: from 64 scenarios the batch and the XIRRs take their
threaded kernels, as a real program does; below that, the one-thread ones. It computes nothing the user
sees: its result is dropped.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import numpy as np

from ..terms import Terms
from .analyse import analyse
from .model import Portfolio

#: SPVs of the made-up program: enough for the threaded kernels (:data:`xlspv.batch.PARALLEL_FROM`).
WARM_SPVS = 64


@contextmanager
def warming_up() -> Iterator[None]:
    """Load the program view's kernels on a second thread for the duration of the ``with`` block.

    The block's end waits for the thread (whatever happened in the block), so no thread outlives it
    and the kernels are never loaded on two threads at once.

    Examples
    --------
    >>> with warming_up():
    ...     pass  # read the input here
    """
    thread = threading.Thread(target=_warm_up, name="xlspv-warm-up", daemon=True)
    try:
        thread.start()
    except RuntimeError:  # no thread to be had (a process or memory limit): the kernels load when used
        yield
        return
    try:
        yield
    finally:
        thread.join()


def _warm_up() -> None:
    # not the user's run: any real failure recurs in that run and is reported there, as usual
    with suppress(Exception):
        analyse(_made_up_program(), Terms(0.05), rates=(0.04,))


def _made_up_program() -> Portfolio:
    """:data:`WARM_SPVS` SPVs, each funded with 100 and paid 60 and 200 in the following two years."""
    ids = [f"W{k}" for k in range(WARM_SPVS)]
    start = dt.date(2026, 1, 1)
    spvs = [
        {"id": i, "name": i, "sector": "energy", "notice_date": dt.date(2025, 11, 1), "committed": 100.0}
        for i in ids
    ]
    dates = np.array([start, start.replace(year=2027), start.replace(year=2028)], dtype="datetime64[D]")
    flows = {
        "spv_id": np.repeat(ids, 3).tolist(),
        "date": np.tile(dates, WARM_SPVS),
        "value": np.tile([-100.0, 60.0, 200.0], WARM_SPVS),
    }
    return Portfolio.from_tables(spvs, flows, unit="$m")


__all__ = ["WARM_SPVS", "warming_up"]
