"""Compiled kernels when numba is installed, plain Python otherwise.

The waterfall is a recurrence along the rows (each row's split depends on the balance the previous
rows left), which numpy cannot vectorise; numba compiles the row loop to machine code. Where numba
cannot run (xlwings Lite runs on Pyodide), the same functions run as plain Python: identical results,
fine for one SPV, slow for large batches.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

try:  # pragma: no cover - which branch runs depends on the environment
    from numba import njit as _numba_njit
    from numba import prange as _numba_prange

    HAVE_NUMBA = True
    prange: Any = _numba_prange  # ``range`` stands in without numba: one name, two types

    def njit(*args: Any, **kwargs: Any) -> Any:
        """``numba.njit``, compiling without the on-disk cache where no cache folder is writable.

        ``cache=True`` needs a writable ``__pycache__`` beside the module or a writable user cache
        (``~/.cache``, ``NUMBA_CACHE_DIR``); a shared, read-only install has neither, and numba then
        refuses to decorate the function at import. xlspv then compiles in memory on first use instead
        (slower to start, identical results). A shared temporary cache folder is not used: another user
        could plant compiled code there.
        """
        if len(args) == 1 and callable(args[0]):
            return njit(**kwargs)(args[0])

        def wrap(func: Callable[..., Any]) -> Any:
            try:
                return _numba_njit(*args, **kwargs)(func)
            except RuntimeError as exc:
                if not kwargs.get("cache") or "cannot cache" not in str(exc):
                    raise
                return _numba_njit(*args, **{**kwargs, "cache": False})(func)

        return wrap

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
    # numba.config sets its names at import from the environment, so they are invisible to mypy
    limit = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    numba.set_num_threads(max(1, min(int(threads), limit)))
    try:
        yield
    finally:
        numba.set_num_threads(old)


@contextmanager
def shared_work(chunk: int = 1) -> Iterator[None]:
    """Parallel loops inside hand out ``chunk`` iterations at a time to whichever thread is free,
    instead of equal shares decided up front: where other processes also use the cores, a thread
    that gets less of its core then no longer holds back the whole loop."""
    if not HAVE_NUMBA:
        yield
        return
    import numba

    with numba.parallel_chunksize(chunk):
        yield


def default_threads() -> int:
    """Threads the parallel kernels use by default (1 without numba)."""
    if not HAVE_NUMBA:
        return 1
    import numba

    return int(numba.get_num_threads())


def command_settings() -> None:
    """Settings a whole command (the ``xlspv`` script) runs faster with, unless the environment sets them.

    - numba's OpenMP threads sleep when a parallel loop ends (``OMP_WAIT_POLICY=PASSIVE``, read when
      OpenMP starts, at the first loop): a command alternates short parallel loops with work beside
      other threads (pandas' parser, the package writer), and spinning threads take the core from
      them (0.2-0.4 s of CPU less on the 10,000-SPV program).
    - numpy's large arrays are not marked for transparent huge pages (as ``NUMPY_MADVISE_HUGEPAGE=0``):
      on a kernel with ``defrag=madvise`` (a common default) a first touch of such an array may stop to
      compact memory, and a command fills its arrays once and streams through them (0.3-0.5 s of
      system time and about 0.5 s of wall time less on the 10,000-SPV program). numpy reads the
      variable only at its import, already done, so this calls the switch its import calls; a numpy
      without that switch is left as it is.

    Not for a library import: it changes the whole process.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return
    import numpy as np

    core = getattr(np, "_core", None) or getattr(np, "core", None)  # numpy 2, numpy 1
    switch = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    if switch is not None:
        switch(False)


__all__ = [
    "HAVE_NUMBA",
    "command_settings",
    "default_threads",
    "njit",
    "prange",
    "shared_work",
    "thread_count",
]
