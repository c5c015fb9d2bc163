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
once in a temporary folder by ``bench_readers.inputs``, in a child process). ``--python PY`` runs the
console script of another environment (e.g. one made with ``pip install .`` alone, as a user installs
xlspv: without the test tools, which bring SciPy, whose import numba pays at its first compiled call);
``--baseline TREE`` also runs, in the same turns, the command of another source tree (a ``git worktree``
of an earlier commit) through the same Python, to compare code with code on the same host minutes.
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
    parser.add_argument("--python", default=sys.executable, help="the Python of the environment to run")
    parser.add_argument("--baseline", default=None, help="a source tree whose command also runs, in turns")
    args = parser.parse_args()
    script = Path(args.python).with_name("xlspv")
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
        arguments = ["portfolio", "-q", "--force", "--deemed-rate", "0.05", str(csv_folder), "-o", str(out)]
        command = [str(script), *arguments]
        reference = [args.python, "-c", REFERENCE, str(csv_folder)]
        commands = [("xlspv portfolio (whole command)", command), ("pandas.read_csv, both files", reference)]
        if args.baseline:
            tree = os.path.abspath(args.baseline)
            start = f"import sys; sys.path.insert(0, {tree!r}); sys.argv[0] = 'xlspv'; "
            start += "from xlspv.cli import console; console()"
            commands.append(("the same, code of the baseline", [args.python, "-c", start, *arguments]))
        for _label, argv in commands:  # once untimed: numba's on-disk caches filled, files in the page cache
            timed(argv)
        load_before = os.getloadavg()[0]
        runs: list[list[tuple[float, float]]] = [[] for _ in commands]
        for _ in range(args.rounds):
            for k, (_label, argv) in enumerate(commands):
                runs[k].append(timed(argv))
        load_after = os.getloadavg()[0]
    print(
        f"xlspv portfolio, {args.spvs:,} SPVs x 480 rows from CSV, {args.rounds} rounds, "
        f"{os.cpu_count()} cores, load average {load_before:.1f} -> {load_after:.1f}"
    )
    ours, theirs = runs[0], runs[1]
    for (label, _argv), runs_k in zip(commands, runs, strict=True):
        walls = [w for w, _ in runs_k]
        rss = [m for _, m in runs_k]
        print(
            f"  {label:34s} median {statistics.median(walls):5.2f} s "
            f"(range {min(walls):.2f}-{max(walls):.2f}), max RSS median {statistics.median(rss):4.0f} MiB"
        )
    ratio = statistics.median(w for w, _ in ours) / statistics.median(w for w, _ in theirs)
    print(f"  ratio of medians {ratio:.1f}x; targets: < 4 s, < 800 MiB")
    if args.baseline:
        per_round = [a / b for (a, _), (b, _) in zip(ours, runs[2], strict=True)]
        print(f"  against the baseline, per round: median {statistics.median(per_round):.2f}x")


if __name__ == "__main__":
    main()
