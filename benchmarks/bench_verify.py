"""``xlspv verify`` on a workbook with 1,000 function cells over 480-row ranges (target: under 5 s).

The workbook: 50 SPVs side by side on an Inputs sheet (a date and a value column of 480 rows each,
48,000 cells), five Terms ranges (deemed rates 4% to 8%), and on Results 1,000 distinct calls: per
SPV, SPV_IRR for each of four parties under each of the five terms (no two calls alike, so nothing is
saved by computing identical calls once). It is written with openpyxl and given its saved values by
``xlspv verify --update`` (timed too), then checked.

Printed side by side, in one run (medians of 5):
- ``verify()`` in this process, and the whole ``xlspv verify`` command in a fresh process (Python's
  start, the imports and numba's cached kernels included);
- the compute floor: the same 1,000 calls made straight into ``udfs.py`` from ready-made lists;
- what a reader built on openpyxl would pay before computing anything: ``openpyxl.load_workbook``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import udfs  # noqa: E402
from xlspv.dates import serial_from_ordinal  # noqa: E402
from xlspv.excel.verify import update, verify  # noqa: E402

SPVS, ROWS, RATES, PARTIES = 50, 480, (0.04, 0.05, 0.06, 0.07, 0.08), ("Japan", "US", "Partner", "Project")


def flows(spv: int) -> tuple[list[float], list[float]]:
    """480 monthly rows: 24 fundings, then distributions that differ per SPV."""
    start = dt.date(2026, 1, 31).toordinal()
    days = [float(serial_from_ordinal(start + 30 * i)) for i in range(ROWS)]
    values = [-(100.0 + spv) if i < 24 else 8.0 + (spv % 7) + (i % 12) * 0.5 for i in range(ROWS)]
    return days, values


def build(path: Path) -> list[tuple[list[list[float]], list[list[float]], str, list[list[object]]]]:
    """Write the workbook; return the 1,000 calls' arguments as Excel passes them (for the floor)."""
    wb = openpyxl.Workbook()
    inputs = wb.active
    inputs.title = "Inputs"
    terms = wb.create_sheet("Terms")
    results = wb.create_sheet("Results")
    for k, rate in enumerate(RATES):
        terms.cell(1 + 3 * k, 1, "deemed_rate")
        terms.cell(1 + 3 * k, 2, rate)
        terms.cell(2 + 3 * k, 1, "partner_share")
        terms.cell(2 + 3 * k, 2, 0.1)
        ref = f"'Terms'!$A${1 + 3 * k}:$B${2 + 3 * k}"
        wb.defined_names[f"Terms{k}"] = DefinedName(f"Terms{k}", attr_text=ref)
    calls = []
    for spv in range(SPVS):
        days, values = flows(spv)
        dcol, vcol = get_column_letter(2 * spv + 1), get_column_letter(2 * spv + 2)
        for i, (d, v) in enumerate(zip(days, values, strict=True), start=1):
            inputs.cell(i, 2 * spv + 1, d)
            inputs.cell(i, 2 * spv + 2, v)
        rng_v, rng_d = f"Inputs!${vcol}$1:${vcol}${ROWS}", f"Inputs!${dcol}$1:${dcol}${ROWS}"
        for k, rate in enumerate(RATES):
            for p, party in enumerate(PARTIES):
                row, col = 1 + spv, 1 + 4 * k + p
                results.cell(row, col, f'=SPV_IRR({rng_v},{rng_d},"{party}",Terms{k})')
                term_cells = [["deemed_rate", rate], ["partner_share", 0.1]]
                calls.append(([[v] for v in values], [[d] for d in days], party, term_cells))
    wb.save(path)
    return calls


def median_of(func: Callable[[], object], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        blank, saved = Path(tmp) / "blank.xlsx", Path(tmp) / "saved.xlsx"
        calls = build(blank)
        size = blank.stat().st_size / 2**20
        t_update = median_of(lambda: update(blank, saved, force=True), repeats=3)
        report = verify(saved)
        assert report.exit_code == 0 and len(report.calls) == 1000, report.summary()
        t_verify = median_of(lambda: verify(saved))
        command = [sys.executable, "-m", "xlspv.cli", "verify", str(saved)]
        t_command = median_of(lambda: subprocess.run(command, check=True, capture_output=True))
        t_floor = median_of(lambda: [udfs.SPV_IRR(v, d, p, t) for v, d, p, t in calls])
        t_openpyxl = median_of(lambda: openpyxl.load_workbook(saved), repeats=3)
    print(f"workbook: {len(calls):,} SPV_IRR cells over {ROWS}-row ranges, {SPVS} SPVs, {size:.1f} MiB")
    print(f"  xlspv verify (in process)          {t_verify:7.2f} s   target < 5 s")
    print(f"  xlspv verify (whole command)       {t_command:7.2f} s")
    print(f"  xlspv verify --update              {t_update:7.2f} s")
    print(
        f"  floor: 1,000 calls into udfs.py    {t_floor:7.2f} s   verify / floor = {t_verify / t_floor:.1f}x"
    )
    print(
        f"  openpyxl.load_workbook (read only) {t_openpyxl:7.2f} s   "
        f"verify / openpyxl = {t_verify / t_openpyxl:.2f}x"
    )


if __name__ == "__main__":
    main()
