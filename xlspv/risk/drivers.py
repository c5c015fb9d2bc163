"""Where the chunks run: in this process, on Dask's threads or processes, or on a Dask cluster.

Every driver runs the same chunks (:data:`~xlspv.risk.scenarios.CHUNK` scenarios each, seeded by their
index) and returns their results in chunk order, so the figures do not depend on the driver.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import Any

from ..errors import RiskModelError
from .engine import ChunkResult, run_chunk
from .model import RiskModel
from .pool import in_order
from .scenarios import CHUNK, Problem

#: progress(scenarios done, scenarios in all)
Progress = Callable[[int, int], None]

SCHEDULERS = ("local", "threads", "processes", "synchronous")


def chunk_sizes(scenarios: int) -> list[int]:
    """Scenarios in each chunk: full chunks, then the rest."""
    full, rest = divmod(scenarios, CHUNK)
    return [CHUNK] * full + ([rest] if rest else [])


def check_scheduler(scheduler: str | None) -> str:
    """'local' (this process), a Dask local scheduler name, or a ``tcp://host:port`` address."""
    text = (scheduler or "local").strip()
    if text.lower() in SCHEDULERS:
        return text.lower()
    if text.startswith(("tcp://", "tls://", "inproc://")) and len(text.split("://", 1)[1]) > 0:
        return text
    raise RiskModelError(
        f"scheduler: {scheduler!r} is not a scheduler; use threads, processes, or the address of a "
        "running dask.distributed scheduler such as tcp://127.0.0.1:8786."
    )


def run(
    problem: Problem,
    model: RiskModel,
    scenarios: int,
    seed: int,
    scheduler: str | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
) -> list[ChunkResult]:
    """Results of every chunk, in chunk order.

    In this process each chunk's scenarios run in ranges on ``threads`` threads (default: the cores
    this process may use); on Dask, one thread per chunk (Dask runs the chunks side by side).
    """
    where = check_scheduler(scheduler)
    sizes = chunk_sizes(scenarios)
    tick = progress or (lambda done, total: None)
    if where == "local":
        return _in_process(problem, model, seed, sizes, tick, local_threads(threads))
    dask = _import_dask()
    if "://" in where:
        return _on_cluster(where, problem, model, seed, sizes, tick)
    tasks = [dask.delayed(run_chunk, pure=True)(problem, model, seed, c, n) for c, n in enumerate(sizes)]
    with _DaskTicks(sizes, scenarios, tick):
        results = dask.compute(*tasks, scheduler=where)
    tick(scenarios, scenarios)
    return list(results)


def _in_process(
    problem: Problem, model: RiskModel, seed: int, sizes: list[int], tick: Progress, threads: int
) -> list[ChunkResult]:
    """The chunks in this process: side by side on ``threads`` threads when there are enough of them
    to keep every thread busy to the end (and threads prove faster: :mod:`xlspv.risk.pool`), else one
    after another, each split in ranges of scenarios over the threads."""
    total, done = sum(sizes), 0
    out = []
    side_by_side = threads > 1 and len(sizes) >= 2 * threads
    jobs = [
        partial(run_chunk, problem, model, seed, c, n, 1 if side_by_side else threads)
        for c, n in enumerate(sizes)
    ]
    for result, n in zip(in_order(jobs, sizes, threads if side_by_side else 1), sizes, strict=True):
        out.append(result)
        done += n
        tick(done, total)
    return out


def local_threads(threads: int | None) -> int:
    """Threads for an in-process run: ``threads``, or the cores this process may use."""
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise RiskModelError(f"threads: {threads!r} is not a thread count; give a whole number >= 1.")
        return threads
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _import_dask() -> Any:
    try:
        import dask
    except ImportError:
        raise RiskModelError(
            "scheduler: Dask is not installed; install it with pip install 'xlspv[cluster]', or run "
            "without a scheduler."
        ) from None
    return dask


def _on_cluster(
    address: str, problem: Problem, model: RiskModel, seed: int, sizes: list[int], tick: Progress
) -> list[ChunkResult]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise RiskModelError(
            "scheduler: dask.distributed is not installed; pip install 'xlspv[cluster]'."
        ) from None
    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise RiskModelError(
            f"scheduler: cannot reach {address} ({exc}); start `dask scheduler` there."
        ) from None
    total, done = sum(sizes), 0
    try:
        shared = client.scatter(problem, broadcast=True)
        futures = [
            client.submit(run_chunk, shared, model, seed, c, n, pure=False) for c, n in enumerate(sizes)
        ]
        results: list[ChunkResult | None] = [None] * len(sizes)
        for future in as_completed(futures):
            result = future.result()
            results[result.chunk] = result
            done += sizes[result.chunk]
            tick(done, total)
        return [r for r in results if r is not None]
    finally:
        client.close()


class _DaskTicks:
    """Progress from Dask's local schedulers (a callback after each finished task)."""

    def __init__(self, sizes: list[int], total: int, tick: Progress) -> None:
        from dask.callbacks import Callback

        state = {"done": 0}
        size = sizes[0] if sizes else 0

        def posttask(key: Any, result: Any, dsk: Any, st: Any, worker_id: Any) -> None:
            if isinstance(result, ChunkResult):
                state["done"] = min(total, state["done"] + size)
                tick(state["done"], total)

        self._callback = Callback(posttask=posttask)

    def __enter__(self) -> _DaskTicks:
        self._callback.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._callback.__exit__(*exc)
