"""Compiled kernels when numba is installed, plain Python otherwise.

The waterfall is a recurrence along the rows (each row's split depends on the balance the previous
rows left), which numpy cannot vectorise; numba compiles the row loop to machine code. Where numba
cannot run (xlwings Lite runs on Pyodide), the same functions run as plain Python: identical results,
fine for one SPV, slow for large batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

try:  # pragma: no cover - which branch runs depends on the environment
    from numba import njit, prange

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False
    prange = range

    def njit(*args: Any, **kwargs: Any) -> Any:
        """Stand-in for ``numba.njit``: returns the function unchanged."""
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]

        def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
            return func

        return wrap




@contextmanager
def thread_count(threads: int | None) -> Iterator[None]:
    """Run the compiled kernels inside on at most ``threads`` threads (``None``: numba's default)."""
    if not HAVE_NUMBA or threads is None:
        yield
        return
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(old)


def default_threads() -> int:
    """Threads the parallel kernels use by default (1 without numba)."""
    if not HAVE_NUMBA:
        return 1
    import numba

    return int(numba.get_num_threads())


__all__ = ["HAVE_NUMBA", "default_threads", "njit", "prange", "thread_count"]
