"""Independent jobs on one thread or several, whichever is faster here and now.

The risk kernel and numpy's draws release the GIL, so jobs (chunks, or ranges of a chunk's scenarios)
run side by side on threads. On a machine whose cores other programs hold, more threads only add
overhead; so, as :func:`xlspv.batch.waterfall_summary` does, the first job runs alone and the next
``threads`` side by side, and the rest runs the way that took less time a scenario (threads only when
clearly faster). Results come back in job order and do not depend on the threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

#: Threads must take less than this share of one thread's time a scenario on the probes to be chosen.
THREADS_MARGIN = 0.9


def in_order(jobs: Sequence[Callable[[], T]], sizes: list[int], threads: int) -> Iterator[T]:
    """Each job's result, in job order; ``sizes`` (scenarios a job) weigh the probes."""
    if threads <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield job()
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        if len(jobs) < threads + 3:  # too few to probe: side by side
            yield from _side_by_side(pool, jobs)
            return
        # the probes are jobs 1 (alone) and 2 to threads + 1 (side by side), alike in size and kind (the
        # first job may differ: chunk 0 also keeps the fan chart's sample); job 0 runs with the rest
        started = time.perf_counter()
        results = [jobs[1]()]
        alone = (time.perf_counter() - started) / max(sizes[1], 1)
        started = time.perf_counter()
        probe = [pool.submit(job) for job in jobs[2 : threads + 2]]
        results += [f.result() for f in probe]
        together = (time.perf_counter() - started) / max(sum(sizes[2 : threads + 2]), 1)
        rest = [jobs[0], *jobs[threads + 2 :]]
        faster = together < THREADS_MARGIN * alone
        later = _side_by_side(pool, rest) if faster else (job() for job in rest)
        yield next(later)  # job 0
        yield from results
        yield from later


def _side_by_side(pool: ThreadPoolExecutor, jobs: Sequence[Callable[[], T]]) -> Iterator[T]:
    futures: list[Future[T]] = [pool.submit(job) for job in jobs]
    for f in futures:
        yield f.result()
