"""A real local dask.distributed cluster (scheduler + two workers on 127.0.0.1) gives the in-process figures.

The test starts ``dask scheduler`` and two ``dask worker`` processes itself on free ports and stops them
by their process ids.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from xlspv.examples import spv as example
from xlspv.risk import simulate
from xlspv.risk.scenarios import CHUNK

distributed = pytest.importorskip("distributed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dask() -> list[str]:
    exe = Path(sys.executable).with_name("dask")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dask"]


@pytest.fixture
def cluster(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = open(tmp_path / "dask.log", "w")  # noqa: SIM115 - closed below
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [
        subprocess.Popen(
            [*_dask(), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
            stdout=log,
            stderr=log,
            env=env,
        )
    ]
    try:
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        *_dask(),
                        "worker",
                        address,
                        "--host",
                        "127.0.0.1",
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-nanny",
                        "--dashboard-address",
                        ":0",
                        "--local-directory",
                        str(tmp_path),
                    ],
                    stdout=log,
                    stderr=log,
                    env=env,
                )
            )
        with distributed.Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            os.kill(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
        log.close()


def test_same_seed_same_figures_on_a_local_dask_cluster(cluster):
    args = (example.values(), example.dates(), example.TERMS)
    n = 2 * CHUNK + 300  # three chunks over two workers
    start = time.perf_counter()
    there = simulate(*args, scenarios=n, seed=9, scheduler=cluster)
    assert time.perf_counter() - start < 120
    here = simulate(*args, scenarios=n, seed=9)
    pd.testing.assert_frame_equal(here.summary, there.summary)
    pd.testing.assert_frame_equal(here.distributions, there.distributions)
    pd.testing.assert_frame_equal(here.fan, there.fan)
