"""The whole ``xlspv portfolio`` command on a 10,000-SPV program, as a user waits for it.

Each round runs, in fresh processes and in turn:

- ``xlspv portfolio -q --force --deemed-rate 0.05 FOLDER -o OUT``: the console script, from process
  start to exit (Python's start, the imports, numba loading its compiled kernels, reading the CSV
  program, the program view with the default sensitivity grid, writing the report);
- the reference: a fresh Python reading the same two CSV files with ``pandas.read_csv`` (what a user
  would do to merely load the data).

Wall seconds are timed by this process around each child; the maximum resident set is the child's own
(``os.wait4``). The figures are the medians over the rounds, with the spread, and the load average
before and after. Targets (issue 15): under 4 s and under 800 MiB.

Run: ``.venv/bin/python benchmarks/bench_command.py`` (``--spvs``, ``--rounds``; the program is made
once in a temporary folder by ``bench_readers.inputs``, in a child process).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REFERENCE = (
    "import sys, pandas as pd\n"
    "for name in ('spvs.csv', 'flows.csv'):\n"
    "    pd.read_csv(sys.argv[1] + '/' + name)\n"
)


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and maximum resident MiB of one child process (which must succeed)."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    error = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"{argv[0]} failed (status {child.returncode}): {error.strip()}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spvs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("xlspv")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # made in a child: a child's maximum resident set starts from its parent's (fork copies the
        # high-water mark), so this process stays small
        make = "import sys; sys.path.insert(0, sys.argv[1]); from bench_readers import inputs; from pathlib "
        make += "import Path; inputs(Path(sys.argv[2]), int(sys.argv[3]), xlsx=False)"
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.run([sys.executable, "-c", make, here, tmp, str(args.spvs)], check=True)
        csv_folder = folder / f"csv{args.spvs}"
        out = folder / "report.xlsx"
        command = [
            str(script),
            "portfolio",
            "-q",
            "--force",
            "--deemed-rate",
            "0.05",
            str(csv_folder),
            "-o",
            str(out),
        ]
        reference = [sys.executable, "-c", REFERENCE, str(csv_folder)]
        timed(command)  # once untimed: numba's on-disk cache filled, files in the page cache
        load_before = os.getloadavg()[0]
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(timed(command))
            theirs.append(timed(reference))
        load_after = os.getloadavg()[0]
    print(
        f"xlspv portfolio, {args.spvs:,} SPVs x 480 rows from CSV, {args.rounds} rounds, "
        f"{os.cpu_count()} cores, load average {load_before:.1f} -> {load_after:.1f}"
    )
    for label, runs in (("xlspv portfolio (whole command)", ours), ("pandas.read_csv, both files", theirs)):
        walls = [w for w, _ in runs]
        rss = [m for _, m in runs]
        print(
            f"  {label:34s} median {statistics.median(walls):5.2f} s "
            f"(range {min(walls):.2f}-{max(walls):.2f}), max RSS median {statistics.median(rss):4.0f} MiB"
        )
    ratio = statistics.median(w for w, _ in ours) / statistics.median(w for w, _ in theirs)
    print(f"  ratio of medians {ratio:.1f}x; targets: < 4 s, < 800 MiB")


if __name__ == "__main__":
    main()
