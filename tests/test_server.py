"""``xlspv serve`` as Excel meets it: a real xlwings Server on a free localhost port, spoken to over HTTP.

The requests are those the Office.js add-in sends (xlwings-server 1.20's ``custom-functions-code.js``):
the manifest, the functions' metadata JSON and code, and ``POST /xlwings/custom-functions-call`` with
``{"client": "Office.js", "func_name", "args", "caller_address", "culture_info_name", "date_format",
"version", "runtime"}``, ranges as 2-D lists, dates as serial numbers. The server runs as a subprocess
with xlwings Server's non-commercial key (tests only) and is stopped by its process id.

Expected values are the core's own results (``xlspv.compute``, ``xlspv.waterfall_batch``) or the
spec's hand-worked example: these tests pin the delivery, not the waterfall.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import xlspv
from xlspv.examples import spv as example

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("xlwings_server") is None,
    reason="xlwings Server is not installed (make test installs it: pip install '.[test,server]')",
)

EPOCH = dt.date(1899, 12, 30)
FUNCTIONS = {
    "SPV_PAYOUT": ["values", "dates", "party", "terms"],
    "SPV_IRR": ["values", "dates", "party", "terms", "guess"],
    "THRESHOLD_DATE": ["values", "dates", "terms"],
    "SPV_WATERFALL": ["values", "dates", "terms", "header"],
    "SPV_RATE_GRID": ["values", "dates", "terms", "rates", "header"],
    "SPV_RISK": ["values", "dates", "terms", "scenarios", "seed", "model"],
    "SPV_VERSION": [],
}
RUNTIMES = ["1.2", "1.3", "1.4"]
ERROR_VALUES = {"#N/A": "NotAvailable", "#NUM!": "Num"}  # Office.js's names for Excel's error values
ROWS = example.flows()
DATES = [d for d, _, _ in ROWS]
VALUES = [v for _, v, _ in ROWS]
RATE = 0.055


def serial(day: dt.date) -> float:
    return float((day - EPOCH).days)


CELLS_V = [[v] for v in VALUES]
CELLS_D = [[serial(d)] for d in DATES]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, port: int, process: subprocess.Popen, log: Path) -> None:
        self.base, self.process, self.log = f"http://127.0.0.1:{port}", process, log

    def get(self, path: str) -> tuple[int, str]:
        with urllib.request.urlopen(self.base + path, timeout=30) as response:
            return response.status, response.read().decode()

    def post(self, body: dict[str, Any]) -> tuple[int, str]:
        request = urllib.request.Request(
            self.base + "/xlwings/custom-functions-call",
            data=json.dumps(body).encode(),
            # the headers custom-functions-code.js sends when no authentication is configured
            headers={"Content-Type": "application/json", "Authorization": "", "Auth-Provider": ""},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def call(self, func: str, *args: Any, runtime: str = "1.4", date_format: str | None = None) -> Any:
        status, text = self.post(payload(func, list(args), runtime, date_format))
        assert status == 200, text
        return json.loads(text)["result"]


def payload(func: str, args: list[Any], runtime: str, date_format: str | None = None) -> dict[str, Any]:
    return {
        "client": "Office.js",
        "func_name": func,
        "args": args,
        "caller_address": "[spv_template.xlsx]Results!M20",
        "session_id": "test-session",
        "culture_info_name": "en-US",
        "date_format": date_format,
        "version": "0.37.8",
        "runtime": runtime,
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``xlspv serve`` on a free port (a fresh process: xlwings picks its decorators at import)."""
    folder = tmp_path_factory.mktemp("serve")
    log = folder / "server.log"
    port = _free_port()
    env = {**os.environ, "XLWINGS_LICENSE_KEY": "noncommercial"}
    env.pop("XLWINGS_ON_SERVER", None)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "xlspv.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Server(port, process, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"xlspv serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                running.get("/xlwings/custom-functions-meta")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"xlspv serve did not answer within 90 s:\n{log.read_text()}")
                time.sleep(0.2)
        yield running
    finally:
        process.terminate()  # SIGTERM to this process id only
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


# --- what Excel loads -----------------------------------------------------------------------------


def test_metadata_lists_the_six_functions_with_their_help(server):
    import udfs

    status, text = server.get("/xlwings/custom-functions-meta.json")
    assert status == 200
    meta = {f["name"]: f for f in json.loads(text)["functions"]}
    assert set(meta) == set(FUNCTIONS) == set(udfs.__all__)
    for name, params in FUNCTIONS.items():
        assert meta[name]["description"] == getattr(udfs, name).__doc__  # the function wizard's help
        assert [p["name"] for p in meta[name]["parameters"]] == params
        for param in meta[name]["parameters"]:
            assert param["description"].strip(), (name, param["name"])
    assert meta["SPV_IRR"]["parameters"][-1]["optional"] is True  # guess
    assert meta["SPV_WATERFALL"]["parameters"][-1]["optional"] is True  # header


def test_custom_functions_code_associates_each_function(server):
    status, js = server.get("/xlwings/custom-functions-code.js")
    assert status == 200
    for name in FUNCTIONS:
        assert f'CustomFunctions.associate("{name}", {name});' in js
    # the five computing functions are cached in the add-in (same arguments, same result)
    for name in ("SPV_PAYOUT", "SPV_IRR", "THRESHOLD_DATE", "SPV_WATERFALL", "SPV_RATE_GRID"):
        block = js[js.index(f"async function {name}()") :][:400]
        assert "isCached: true" in block, name


def test_manifest_names_the_namespace_and_this_server(server):
    status, xml = server.get("/manifest.xml")
    assert status == 200
    assert '<bt:String id="Functions.Namespace" DefaultValue="XLWINGS" />' in xml
    assert f"{server.base}/xlwings/custom-functions-meta.json" in xml
    assert f"{server.base}/xlwings/custom-functions-code.js" in xml


# --- each function at each runtime ----------------------------------------------------------------


def error_value(text: str, runtime: str) -> Any:
    return {"type": "Error", "errorType": ERROR_VALUES[text]} if float(runtime) >= 1.4 else text


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("party", ["Japan", "US", "Partner"])
def test_payout_is_the_cores(server, runtime, party):
    expected = getattr(xlspv.compute(VALUES, DATES, RATE), party.lower())
    result = server.call("SPV_PAYOUT", CELLS_V, CELLS_D, [[party]], [[RATE]], runtime=runtime)
    assert [r[0] for r in result] == pytest.approx(expected.tolist(), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_irr_is_the_cores_and_no_irr_is_num(server, runtime):
    core = xlspv.compute(VALUES, DATES, RATE)
    for party in ("Japan", "Project"):
        result = server.call("SPV_IRR", CELLS_V, CELLS_D, [[party]], [[RATE]], [[None]], runtime=runtime)
        assert result[0][0] == pytest.approx(core.xirr(party.lower()), rel=1e-12)
    us = server.call("SPV_IRR", CELLS_V, CELLS_D, [["US"]], [[RATE]], [[None]], runtime=runtime)
    assert us == [[error_value("#NUM!", runtime)]]  # the US never funds: no IRR


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_threshold_date_and_not_reached(server, runtime):
    # hand-worked (the spec's example): cleared by the last row, 1 January 2027
    small = [[-100.0], [60.0], [200.0]]
    days = [[serial(dt.date(2025, 1, 1))], [serial(dt.date(2026, 1, 1))], [serial(dt.date(2027, 1, 1))]]
    assert server.call("THRESHOLD_DATE", small, days, [[0.10]], runtime=runtime) == [
        [serial(dt.date(2027, 1, 1))]
    ]
    short = server.call("THRESHOLD_DATE", small[:2], days[:2], [[0.10]], runtime=runtime)
    assert short == [[error_value("#N/A", runtime)]]


def test_threshold_date_is_a_formatted_number_on_runtime_14(server):
    expected = xlspv.compute(VALUES, DATES, RATE).threshold_date
    result = server.call("THRESHOLD_DATE", CELLS_V, CELLS_D, [[RATE]], runtime="1.4", date_format="m/d/yyyy")
    assert result == [
        [{"type": "FormattedNumber", "basicValue": serial(expected), "numberFormat": "m/d/yyyy"}]
    ]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_waterfall_table_is_the_cores(server, runtime):
    table = xlspv.compute(VALUES, DATES, RATE).table()
    result = server.call("SPV_WATERFALL", CELLS_V, CELLS_D, [[RATE]], [[None]], runtime=runtime)
    assert result[0] == list(table.columns)
    assert [row[0] for row in result[1:]] == [serial(d) for d in table["date"].dt.date]
    for j, col in enumerate(table.columns):
        if col not in ("date", "tier"):
            assert [row[j] for row in result[1:]] == pytest.approx(table[col].tolist(), rel=1e-12, abs=1e-9)
    assert [row[-1] for row in result[1:]] == [str(t) for t in table["tier"]]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_rate_grid_is_the_cores_batch(server, runtime):
    rates = [0.035, 0.055, 0.075]
    batch = xlspv.waterfall_batch(
        np.array(VALUES),
        np.array(DATES, dtype="datetime64[D]"),
        xlspv.Terms(deemed_rate=RATE),
        deemed_rates=np.array(rates),
    )
    result = server.call(
        "SPV_RATE_GRID", CELLS_V, CELLS_D, [[RATE]], [[r] for r in rates], [[None]], runtime=runtime
    )
    assert result[0] == ["deemed_rate", "xirr_japan", "threshold_date", "japan_received", "unrecovered"]
    assert [row[1] for row in result[1:]] == pytest.approx(batch.xirr("japan").tolist(), rel=1e-12)
    assert [row[3] for row in result[1:]] == pytest.approx(batch.japan.sum(axis=1).tolist(), rel=1e-12)


def test_version_is_the_packages(server):
    assert server.call("SPV_VERSION") == [[xlspv.__version__]]


# --- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_bad_input_answers_400_with_the_value_message(server, runtime):
    values = [[-100.0], ["abc"], [200.0]]
    days = CELLS_D[:3]
    status, text = server.post(payload("SPV_IRR", [values, days, [["Japan"]], [[RATE]], [[None]]], runtime))
    assert status == 400  # not 5xx: the add-in does not retry, and shows the text on #VALUE!
    assert text == "#VALUE! values row 2: 'abc' is not a number; enter a number."


def test_bad_party_and_unequal_ranges_name_the_argument(server):
    status, text = server.post(payload("SPV_IRR", [CELLS_V, CELLS_D, [["Korea"]], [[RATE]], [[None]]], "1.4"))
    assert (status, text.split(":")[0]) == (400, "#VALUE! party")
    status, text = server.post(payload("SPV_PAYOUT", [CELLS_V, CELLS_D[:-1], [["US"]], [[RATE]]], "1.4"))
    assert status == 400 and text.startswith("#VALUE! values has 48 cells but dates has 47")


def test_results_are_valid_json_without_nan(server):
    status, text = server.post(payload("SPV_WATERFALL", [CELLS_V, CELLS_D, [[RATE]], [[None]]], "1.4"))
    assert status == 200
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the response"))
    assert all(math.isfinite(x) for row in json.loads(text)["result"][1:] for x in row[1:-1])
