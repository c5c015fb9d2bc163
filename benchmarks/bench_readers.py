"""Reader speed and memory, side by side with the libraries a user would pick instead, in one run.

- Program workbook (sheets SPVs and Flows, 200 and 1,000 SPVs x 480 monthly rows, written by
  :func:`xlspv.workbooks.portfolio_writer.save_inputs`): :func:`load_portfolio` against
  python-calamine's raw read of the same file (every sheet to Python rows). Target: within 2x.
- The same program as CSV (``spvs.csv`` + ``flows.csv``, 1,000 and 10,000 SPVs): :func:`load_portfolio`
  against ``pandas.read_csv`` of the same two files. Target: within 3x in time and 2x in memory
  (tracemalloc's peak of Python/numpy allocations, each measured alone).
- ``xlspv portfolio`` on 10,000 SPVs x 480 rows from CSV, as a user runs it (a subprocess: its wall
  time and maximum resident set). Target: under 4 s and 800 MiB. The computation and the report
  writing are other modules'; the reading is this benchmark's subject.

Medians of ``--repeats`` runs (default 3), each pair run alternately so the machine's load hits both.
Run: ``.venv/bin/python benchmarks/bench_readers.py`` (``--quick`` skips 10,000 SPVs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import pandas as pd  # noqa: E402
import python_calamine  # noqa: E402
from bench_portfolio import synthetic, write_csv  # noqa: E402

import xlspv  # noqa: E402
from xlspv.portfolio import Portfolio  # noqa: E402
from xlspv.workbooks.portfolio_reader import load_portfolio  # noqa: E402
from xlspv.workbooks.portfolio_writer import save_inputs  # noqa: E402


def medians(ours: Callable[[], Any], reference: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median wall time of each of two functions, run alternately."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeats):
        for f, out in ((ours, a), (reference, b)):
            start = time.perf_counter()
            f()
            out.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def peak_mib(f: Callable[[], Any]) -> float:
    """tracemalloc's peak of one call, in MiB."""
    tracemalloc.start()
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def calamine_raw(path: Path) -> list[list[list[Any]]]:
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    return [wb.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in wb.sheet_names]


def pandas_raw(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_csv(folder / "spvs.csv"), pd.read_csv(folder / "flows.csv")


def inputs(folder: Path, n_spvs: int, *, xlsx: bool) -> tuple[Path, Path]:
    """The program of ``n_spvs`` SPVs x 480 rows as a workbook (if asked) and as a CSV folder."""
    spvs, flows = synthetic(n_spvs, 480)
    csv_folder = folder / f"csv{n_spvs}"
    csv_folder.mkdir(exist_ok=True)
    write_csv(spvs, flows, csv_folder)
    book = folder / f"program{n_spvs}.xlsx"
    if xlsx:
        save_inputs(Portfolio.from_tables(spvs, flows, unit="$m", terms=xlspv.Terms(0.05)), book)
    return book, csv_folder


def cli_run(folder: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and maximum resident MiB of ``xlspv portfolio FOLDER`` in a fresh process."""
    code = (
        "import resource, sys, time; from xlspv.cli import main; t = time.perf_counter(); status = 0\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n    status = exc.code or 0\n"
        "print(status, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    # The synthetic program has no terms.csv: without a deemed rate the command stops after reading
    # (exit status 2), which once made this measure the reading alone. A failed run is an error here.
    args = ["portfolio", "-q", "--force", "--deemed-rate", "0.05", str(folder), "-o", str(out)]
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    status, seconds, mib = done.stdout.split()[-3:]
    if status != "0":
        raise SystemExit(f"xlspv portfolio failed (status {status}): {done.stderr.strip()}")
    return float(seconds), float(mib)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="skip the 10,000-SPV runs")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, pandas {pd.__version__}, cores {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sizes = (200, 1000) if args.quick else (200, 1000, 10000)
        for n in sizes:
            book, csv_folder = inputs(folder, n, xlsx=n <= 1000)
            rows = n * 480
            if n <= 1000:
                ours, ref = medians(
                    lambda b=book: load_portfolio(b), lambda b=book: calamine_raw(b), args.repeats
                )
                print(
                    f"workbook {n:>6,} SPVs ({rows:,} rows): load_portfolio {ours:.2f} s, "
                    f"python-calamine raw {ref:.2f} s -> {ours / ref:.2f}x (target <= 2x)"
                )
            if n >= 1000:
                ours, ref = medians(
                    lambda f=csv_folder: load_portfolio(f), lambda f=csv_folder: pandas_raw(f), args.repeats
                )
                mem_ours = peak_mib(lambda f=csv_folder: load_portfolio(f))
                mem_ref = peak_mib(lambda f=csv_folder: pandas_raw(f))
                print(
                    f"CSV      {n:>6,} SPVs ({rows:,} rows): load_portfolio {ours:.2f} s, pandas.read_csv "
                    f"{ref:.2f} s -> {ours / ref:.2f}x (target <= 3x); peak {mem_ours:.0f} MiB vs "
                    f"{mem_ref:.0f} MiB -> {mem_ours / mem_ref:.2f}x (target <= 2x)"
                )
            if n == 10000:
                seconds, _mib = cli_run(csv_folder, folder / "report.xlsx")
                start = time.perf_counter()
                load_portfolio(csv_folder)
                reading = time.perf_counter() - start
                # no memory figure: a child started from this (large) process reports this process's
                # high-water mark as its own; bench_command.py makes its data in a child and measures both
                print(
                    f"xlspv portfolio {n:,} SPVs from CSV, from main() after the imports: {seconds:.2f} s "
                    f"(the whole command and its memory: bench_command.py); of which reading about "
                    f"{reading:.2f} s"
                )


if __name__ == "__main__":
    main()
