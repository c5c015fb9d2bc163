"""The risk workbook: the figures of a Monte Carlo run, their distributions, and live checks.

Sheets: Cover (input name and SHA-256, terms, the model), Model, Figures (one column per SPV and the
program), Threshold (histogram of years to the threshold), Unrecovered (distribution of the unrecovered
amount), Fan (percentiles of the deemed balance by date), Charts, Checks. Counts and figures are values
written from the run; the Checks sheet recomputes what it can from them with formulas (counts add up
to the scenarios, the probability is the recovered count over the scenarios, percentiles are ordered).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference

from ..risk import FIGURES, RiskResult
from ..terms import Terms
from .cover import add_checks, add_cover, add_master_check_line
from .files import save_workbook, sha256_of
from .style import (
    DATE,
    INTEGER,
    MONEY,
    PERCENT,
    print_setup,
    set_widths,
    write_header,
    write_text,
    write_title,
)

_FORMATS = {"probability": "0.0000", "date": DATE, "money": MONEY, "rate": PERCENT, "count": INTEGER}
HISTOGRAM_BINS = 40


def load_risk_input(path: str | Path) -> tuple[str, Any]:
    """("program", Portfolio) for a folder or a workbook with an SPVs sheet; ("spv", SpvInput) otherwise."""
    from .portfolio_reader import load_portfolio
    from .reader import read_input

    p = Path(path)
    if p.is_dir():
        return "program", load_portfolio(p)
    if p.suffix.lower() == ".xlsx" and p.is_file():
        from .sources import open_workbook

        wb = open_workbook(p, read_only=True)  # the package checked first, as every reader does
        try:
            sheets = {name.strip().lower() for name in wb.sheetnames}
        finally:
            wb.close()
        if "spvs" in sheets:
            return "program", load_portfolio(p)
    return "spv", read_input(p)


def write_risk_report(
    result: RiskResult,
    terms: Terms,
    out: str | Path,
    *,
    input_path: str | None,
    unit: str = "$m",
    force: bool = False,
) -> Path:
    """Write the risk workbook of ``result`` to ``out`` (atomically); the path written."""
    wb = Workbook()
    wb.remove(wb.active)
    figures = _figures_sheet(wb, result, unit)
    _model_sheet(wb, result)
    thr = _histogram_sheet(
        wb,
        "Threshold",
        "Years from the first funding to the threshold, recovered scenarios",
        result.distributions["threshold_years"].to_numpy(),
        "years",
        result.scenarios,
    )
    unr = _histogram_sheet(
        wb,
        "Unrecovered",
        f"Unrecovered deemed allocation at the schedule's end ({unit})",
        result.distributions["unrecovered"].to_numpy(),
        unit,
        result.scenarios,
    )
    fan_rows = _fan_sheet(wb, result, unit)
    _charts(wb, thr, unr, fan_rows)
    head = f"Figures!${chr(ord('B') + len(result.spv_names) - 1)}"
    row = {name: 5 + i for i, (name, _) in enumerate(FIGURES)}
    n = f"{head}${row['scenarios']}"
    checks = [
        ("Threshold histogram: recovered + not recovered = scenarios", f"=Threshold!$B$4+Threshold!$B$5={n}"),
        (
            "Threshold histogram: the bins hold every recovered scenario",
            f"=SUM(Threshold!$C$9:$C${thr})=Threshold!$B$4",
        ),
        ("Unrecovered histogram: the bins hold every scenario", f"=SUM(Unrecovered!$C$9:$C${unr})={n}"),
        (
            "recovery_probability = recovered scenarios / scenarios",
            f"=ABS({head}${row['recovery_probability']}-Threshold!$B$4/{n})<1E-12",
        ),
        (
            "recovered_20y <= recovery_probability",
            f"={head}${row['recovered_20y']}<={head}${row['recovery_probability']}",
        ),
        (
            "Unrecovered: p95 <= p99 <= the largest",
            f"=AND({head}${row['unrecovered_p95']}<={head}$"
            f"{row['unrecovered_p99']},{head}${row['unrecovered_p99']}<=Unrecovered!$B$6)",
        ),
        (
            "Fan: percentiles ordered at every date",
            f"=SUMPRODUCT(--(Fan!$C$6:$H${fan_rows}<Fan!$B$6:$G${fan_rows}))=0",
        ),
    ]
    master = add_checks(wb, checks)
    for ws in (wb["Figures"], wb["Fan"]):
        add_master_check_line(ws, master)
    add_cover(
        wb,
        title="xlspv risk report",
        description=(
            f"Monte Carlo of Japan's deemed allocation: {result.scenarios:,} scenarios, seed {result.seed}."
        ),
        terms=terms,
        input_name=Path(input_path).name if input_path else None,
        input_sha256=sha256_of(input_path) if input_path and Path(input_path).is_file() else None,
        master_check=master,
    )
    _ = figures
    return save_workbook(wb, out, force=force)


def _figures_sheet(wb: Workbook, result: RiskResult, unit: str) -> Any:
    ws = wb.create_sheet("Figures")
    write_title(
        ws, "Figures", f"Per SPV and for the program; money in {unit}; *_se = Monte Carlo standard error."
    )
    write_header(ws, 4, ["Figure", *result.spv_names])
    for i, (name, kind) in enumerate(FIGURES):
        write_text(ws, 5 + i, 1, name)
        for j, col in enumerate(result.spv_names):
            value = result.summary.at[name, col]
            cell = ws.cell(row=5 + i, column=2 + j, value=_cell(value))
            cell.number_format = _FORMATS[kind]
    set_widths(ws, {"A": 26, **{chr(ord("B") + j): 16 for j in range(len(result.spv_names))}})
    ws.freeze_panes = "B5"
    print_setup(ws, title_rows="4:4")
    return ws


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    return value


def _model_sheet(wb: Workbook, result: RiskResult) -> None:
    from ..risk import PARAMETERS

    ws = wb.create_sheet("Model")
    write_title(ws, "Model", "The sources of uncertainty of this run (see xlspv.risk.RiskModel).")
    write_header(ws, 4, ["Parameter", "Value", "Unit", "Meaning"])
    helps = {name: text for name, _, _, text in PARAMETERS}
    rows = [*result.model.as_rows(), ("scenarios", result.scenarios, "count"), ("seed", result.seed, "")]
    for i, (name, value, unit) in enumerate(rows):
        write_text(ws, 5 + i, 1, name)
        ws.cell(row=5 + i, column=2, value=value)
        write_text(ws, 5 + i, 3, unit)
        write_text(ws, 5 + i, 4, helps.get(name, ""))
    set_widths(ws, {"A": 18, "B": 12, "C": 34, "D": 90})
    print_setup(ws, title_rows="4:4")


def _histogram_sheet(wb: Workbook, title: str, subtitle: str, values: np.ndarray, unit: str, n: int) -> int:
    """Bins (from, to, count) of the finite values; the last row of the bins."""
    ws = wb.create_sheet(title)
    write_title(ws, title, subtitle)
    finite = values[np.isfinite(values)]
    write_text(ws, 4, 1, "Scenarios counted")
    ws.cell(row=4, column=2, value=int(finite.size))
    write_text(
        ws, 5, 1, "Scenarios not counted (not recovered)" if title == "Threshold" else "Scenarios not counted"
    )
    ws.cell(row=5, column=2, value=int(n - finite.size))
    write_text(ws, 6, 1, "Largest value")
    ws.cell(row=6, column=2, value=float(finite.max()) if finite.size else 0.0)
    write_header(ws, 8, [f"From ({unit})", f"To ({unit})", "Scenarios"])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS, range=(lo, hi if hi > lo else lo + 1.0))
    for i, count in enumerate(counts):
        ws.cell(row=9 + i, column=1, value=float(edges[i])).number_format = MONEY
        ws.cell(row=9 + i, column=2, value=float(edges[i + 1])).number_format = MONEY
        ws.cell(row=9 + i, column=3, value=int(count))
    set_widths(ws, {"A": 40, "B": 16, "C": 12})
    print_setup(ws, title_rows="8:8")
    return 8 + len(counts)


def _fan_sheet(wb: Workbook, result: RiskResult, unit: str) -> int:
    ws = wb.create_sheet("Fan")
    write_title(
        ws,
        "Fan",
        f"Percentiles of the deemed balance ({unit}) at yearly dates, over the first "
        f"{min(result.scenarios, 2000):,} scenarios (all SPVs together).",
    )
    write_header(ws, 5, ["Date", *result.fan.columns])
    for i, (when, row) in enumerate(result.fan.iterrows()):
        ws.cell(row=6 + i, column=1, value=dt.date.fromisoformat(str(when)[:10])).number_format = DATE
        for j, v in enumerate(row):
            ws.cell(row=6 + i, column=2 + j, value=float(v)).number_format = MONEY
    set_widths(ws, {"A": 12, **{chr(ord("B") + j): 14 for j in range(len(result.fan.columns))}})
    ws.freeze_panes = "B6"
    print_setup(ws, title_rows="5:5")
    return 5 + len(result.fan)


def _charts(wb: Workbook, thr_last: int, unr_last: int, fan_last: int) -> None:
    ws = wb.create_sheet("Charts")
    write_title(ws, "Charts", "Drawn from the Threshold, Unrecovered and Fan sheets.")
    for anchor, sheet, last, title in (
        ("A4", "Threshold", thr_last, "Years to the threshold"),
        ("K4", "Unrecovered", unr_last, "Unrecovered deemed allocation"),
    ):
        chart = BarChart()
        chart.title = title
        chart.add_data(Reference(wb[sheet], min_col=3, min_row=8, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(wb[sheet], min_col=1, min_row=9, max_row=last))
        chart.gapWidth = 10
        chart.legend = None
        ws.add_chart(chart, anchor)
    fan = LineChart()
    fan.title = "Deemed balance: percentiles"
    fan.add_data(
        Reference(wb["Fan"], min_col=2, max_col=8, min_row=5, max_row=fan_last), titles_from_data=True
    )
    fan.set_categories(Reference(wb["Fan"], min_col=1, min_row=6, max_row=fan_last))
    ws.add_chart(fan, "A22")
