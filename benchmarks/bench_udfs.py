"""The Excel functions' overhead: SPV_IRR over 480 rows through xlwings's Office.js path and a live server.

``xlwings.server.custom_functions_call`` runs a function exactly as xlwings Server and xlwings Lite do,
from a payload shaped as Excel sends it (2-D lists of cells, date serials). It is gated behind xlwings's
non-commercial licence key, which this development script sets for its own processes only (the product
needs no key). In one run, medians of:

- ``udfs.SPV_IRR`` called directly (the reference), each call computing (memo cleared);
- the same call through ``custom_functions_call``, with udfs's Pyodide-probe fix (the default) and
  without it (``sys.modules["pyodide"]`` removed: xlwings 0.37.8 as shipped);
- a Results sheet (SPV_WATERFALL, THRESHOLD_DATE, SPV_IRR x 4) with the memo (one waterfall) and
  without it (six);
- the HTTP round trip of one SPV_IRR to ``xlspv serve`` on 127.0.0.1 (when xlwings Server is installed).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["XLWINGS_ON_SERVER"] = "true"  # before xlwings is imported: it picks its decorators once
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"  # xlwings.server's gate; these processes only

import xlwings  # noqa: E402
import xlwings.server as server  # noqa: E402

EPOCH = dt.date(1899, 12, 30)
ROWS = 480


def median_of(func, number: int, repeats: int = 7) -> float:
    """Median over ``repeats`` runs of the time per call of ``number`` calls, in seconds."""
    func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            func()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def flows(n: int = ROWS) -> tuple[list[list[float]], list[list[float]]]:
    """Monthly rows: Japan funds 100 a month for three years, then the SPV distributes 15 a month."""
    start = dt.date(2026, 1, 31)
    days = [start + dt.timedelta(days=round(30.4375 * i)) for i in range(n)]
    values = [-100.0 if i < 36 else 15.0 for i in range(n)]
    return [[v] for v in values], [[float((d - EPOCH).days)] for d in days]


def payload(func: str, args: list) -> dict:
    return {
        "func_name": func,
        "args": args,
        "version": xlwings.__version__,
        "client": "Office.js",
        "runtime": "1.4",
        "culture_info_name": "en-US",
        "date_format": None,
        "caller_address": "[Book1.xlsx]Results!M20",
    }


def load_udfs():
    spec = importlib.util.spec_from_file_location("udfs", ROOT / "udfs.py")
    udfs = importlib.util.module_from_spec(spec)
    sys.modules["udfs"] = udfs
    spec.loader.exec_module(udfs)
    return udfs


def in_process(udfs) -> dict[str, float]:
    values, dates = flows()
    irr_args = [values, dates, [["Japan"]], [[0.055]], [[None]]]
    irr = payload("SPV_IRR", irr_args)

    def through() -> None:
        udfs._MEMO.clear()
        asyncio.run(server.custom_functions_call(irr, udfs))

    def direct() -> None:
        udfs._MEMO.clear()
        udfs.SPV_IRR(values, dates, "Japan", [[0.055]])

    sheet = [
        payload("SPV_WATERFALL", [values, dates, [[0.055]], [[None]]]),
        payload("THRESHOLD_DATE", [values, dates, [[0.055]]]),
        *[
            payload("SPV_IRR", [values, dates, [[p]], [[0.055]], [[None]]])
            for p in ("Japan", "US", "Partner", "Project")
        ],
    ]

    def results_sheet(memo: bool) -> None:
        udfs._MEMO.clear()
        for body in sheet:
            if not memo:
                udfs._MEMO.clear()
            asyncio.run(server.custom_functions_call(body, udfs))

    out = {
        "direct": median_of(direct, 200),
        "through": median_of(through, 50),
        "sheet_memo": median_of(lambda: results_sheet(True), 10),
        "sheet_nomemo": median_of(lambda: results_sheet(False), 10),
    }
    assert sys.modules.get("pyodide", 0) is None, "udfs should have skipped the probe"
    for name in ("pyodide", "pyodide.ffi"):  # xlwings as shipped: the per-cell probe searches sys.path
        del sys.modules[name]
    try:
        out["through_probe"] = median_of(through, 10)
    finally:
        sys.modules["pyodide"] = sys.modules["pyodide.ffi"] = None
    return out


def live_server() -> float | None:
    """Median HTTP round trip of one SPV_IRR (480 rows) to ``xlspv serve`` on a free localhost port."""
    if importlib.util.find_spec("xlwings_server") is None:
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "XLWINGS_ON_SERVER"}
    process = subprocess.Popen(
        [sys.executable, "-m", "xlspv.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/xlwings/custom-functions-meta", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("xlspv serve did not start") from None
                time.sleep(0.2)
        values, dates = flows()
        body = json.dumps(payload("SPV_IRR", [values, dates, [["Japan"]], [[0.055]], [[None]]])).encode()

        def call() -> None:
            request = urllib.request.Request(
                base + "/xlwings/custom-functions-call",
                data=body,
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            urllib.request.urlopen(request, timeout=30).read()

        return median_of(call, 20)
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> None:
    udfs = load_udfs()
    t = in_process(udfs)
    print(f"SPV_IRR, {ROWS} rows (medians; each call computes):")
    print(f"  udfs.SPV_IRR called directly           {t['direct'] * 1e3:8.2f} ms  (reference)")
    print(
        f"  custom_functions_call, probe skipped   {t['through'] * 1e3:8.2f} ms  "
        f"({t['through'] / t['direct']:.1f}x)"
    )
    print(
        f"  custom_functions_call, xlwings as is   {t['through_probe'] * 1e3:8.2f} ms  "
        f"({t['through_probe'] / t['direct']:.1f}x)"
    )
    print(
        f"Results sheet (6 functions), custom_functions_call: memo {t['sheet_memo'] * 1e3:.2f} ms, "
        f"no memo {t['sheet_nomemo'] * 1e3:.2f} ms ({t['sheet_nomemo'] / t['sheet_memo']:.1f}x)"
    )
    http = live_server()
    if http is None:
        print("live server: xlwings Server not installed (pip install '.[server]')")
    else:
        print(
            f"live xlspv serve, HTTP round trip of SPV_IRR: {http * 1e3:.2f} ms "
            f"({http / t['through']:.1f}x custom_functions_call in process)"
        )


if __name__ == "__main__":
    main()
