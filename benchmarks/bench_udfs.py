"""The Excel functions' overhead: one SPV_IRR on 40 rows through xlwings's Office.js call path.

``xlwings.server.custom_functions_call`` runs a function exactly as xlwings Server and xlwings Lite do,
from a payload shaped as Excel sends it (2-D lists of cells, date serials). It is gated behind xlwings's
non-commercial licence key, which this development script sets for its own process only (the product
needs no key). Printed beside it: the same call straight into ``udfs.py`` and the core's own time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["XLWINGS_ON_SERVER"] = "true"  # before xlwings is imported: it picks its decorators once
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"  # xlwings.server's gate; this process only

import xlwings  # noqa: E402
import xlwings.server as server  # noqa: E402
from bench_core import best_of  # noqa: E402  (this folder is on sys.path when run as a script)

import xlspv  # noqa: E402
from xlspv.examples import spv as example  # noqa: E402

EPOCH = dt.date(1899, 12, 30)


def main() -> None:
    spec = importlib.util.spec_from_file_location("udfs", ROOT / "udfs.py")
    udfs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(udfs)
    rows = example.flows()[:40]
    dates = [d for d, _, _ in rows]
    values = [v for _, v, _ in rows]
    cells_v = [[v] for v in values]
    cells_d = [[(d - EPOCH).days] for d in dates]
    payload = {
        "func_name": "SPV_IRR",
        "args": [cells_v, cells_d, [["Japan"]], [[0.055]], [[None]]],
        "version": xlwings.__version__,
        "client": "Office.js",
        "runtime": "1.4",
        "culture_info_name": "en-US",
        "date_format": None,
        "caller_address": "Sheet1!A1",
    }
    through = best_of(lambda: asyncio.run(server.custom_functions_call(payload, udfs)), number=50)
    direct = best_of(lambda: udfs.SPV_IRR(cells_v, cells_d, "Japan", [[0.055]]), number=500)
    core = best_of(lambda: xlspv.compute(values, dates, 0.055).xirr("japan"), number=500)
    print(f"SPV_IRR, 40 rows: through custom_functions_call {through * 1e3:.2f} ms; "
          f"udfs.SPV_IRR called directly {direct * 1e3:.3f} ms; core compute + xirr {core * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
