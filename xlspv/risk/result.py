"""The figures of a risk run, from its chunks' per-scenario summaries.

Quantiles are exact: every chunk sends back its scenarios' figures (threshold day, unrecovered amount,
Japan's XIRR: 24 bytes a scenario and column), so the quantiles are those of all scenarios, the same
whatever ran the chunks. :data:`~xlspv.risk.model.MAX_SCENARIOS` bounds that memory.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from ..dates import to_date, to_datetime64
from .engine import ChunkResult, fan_days
from .model import RiskModel
from .scenarios import YEAR_DAYS, Problem, add_months, month_parts

#: Percentiles of the fan chart of the deemed balance.
FAN_PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
#: The Korean MOU's review horizon: recovery within 20 years of the first funding.
REVIEW_MONTHS = 240

#: The figures, in display order, with their kind (for formatting): probability, date, money, rate, count.
FIGURES: tuple[tuple[str, str], ...] = (
    ("recovery_probability", "probability"),
    ("recovery_probability_se", "probability"),
    ("recovered_20y", "probability"),
    ("recovered_20y_se", "probability"),
    ("threshold_p10", "date"),
    ("threshold_p50", "date"),
    ("threshold_p90", "date"),
    ("unrecovered_mean", "money"),
    ("unrecovered_mean_se", "money"),
    ("unrecovered_p95", "money"),
    ("unrecovered_p99", "money"),
    ("unrecovered_es95", "money"),
    ("xirr_japan_p5", "rate"),
    ("xirr_japan_p50", "rate"),
    ("xirr_japan_p95", "rate"),
    ("xirr_japan_none", "probability"),
    ("scenarios", "count"),
)


@dataclass(frozen=True)
class RiskResult:
    """What :func:`xlspv.risk.simulate` returns.

    ``summary``: one row per figure (:data:`FIGURES`), one column per SPV and, for a program, a last
    column "Program". ``figures``: the headline column (the program, or the one SPV) as a dict.
    ``distributions``: per scenario of the headline column: ``threshold_date`` (NaT: not recovered),
    ``threshold_years`` (from the first funding), ``unrecovered`` (money, the input's unit),
    ``xirr_japan`` (decimal, NaN: none). ``fan``: percentiles (columns ``p5`` ... ``p95``) of the total
    deemed balance at yearly dates, over the first :data:`~xlspv.risk.engine.FAN_SCENARIOS` scenarios.
    """

    model: RiskModel
    scenarios: int
    seed: int
    summary: pd.DataFrame
    distributions: pd.DataFrame
    fan: pd.DataFrame
    spv_names: tuple[str, ...]

    @property
    def figures(self) -> dict[str, Any]:
        # the summary's index is the figure names (str); pandas types to_dict() keys as Hashable
        return cast(dict[str, Any], self.summary.iloc[:, -1].to_dict())


def _quantile(x: np.ndarray, q: float) -> float:
    """A sample quantile that is one of the values (inverted CDF): exact and reproducible."""
    return float(np.quantile(x, q, method="inverted_cdf")) if x.size else math.nan


def column_figures(
    threshold: np.ndarray, unrecovered: np.ndarray, xirr: np.ndarray, start: int
) -> dict[str, Any]:
    """The figures of one column (an SPV or the program) from its per-scenario arrays."""
    n = threshold.size
    recovered = threshold >= 0
    months, dom = month_parts(np.array([start]))
    review = int(add_months(months, dom, np.array([REVIEW_MONTHS]))[0])
    p = recovered.mean()
    p20 = (recovered & (threshold <= review)).mean()
    days = np.sort(threshold[recovered])
    worst = np.sort(unrecovered)[::-1][: max(1, math.ceil(0.05 * n))]
    rates = xirr[np.isfinite(xirr)]

    def when(q: float) -> dt.date | None:
        return to_date(int(_quantile(days, q))) if days.size else None

    def rate(q: float) -> float | None:
        return _quantile(rates, q) if rates.size else None

    return {
        "recovery_probability": float(p),
        "recovery_probability_se": math.sqrt(p * (1.0 - p) / n),
        "recovered_20y": float(p20),
        "recovered_20y_se": math.sqrt(p20 * (1.0 - p20) / n),
        "threshold_p10": when(0.10),
        "threshold_p50": when(0.50),
        "threshold_p90": when(0.90),
        "unrecovered_mean": float(unrecovered.mean()),
        "unrecovered_mean_se": float(unrecovered.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
        "unrecovered_p95": _quantile(unrecovered, 0.95),
        "unrecovered_p99": _quantile(unrecovered, 0.99),
        "unrecovered_es95": float(worst.mean()),
        "xirr_japan_p5": rate(0.05),
        "xirr_japan_p50": rate(0.50),
        "xirr_japan_p95": rate(0.95),
        "xirr_japan_none": float(1.0 - rates.size / n),
        "scenarios": n,
    }


def assemble(
    problem: Problem, model: RiskModel, scenarios: int, seed: int, chunks: list[ChunkResult]
) -> RiskResult:
    """The :class:`RiskResult` of a run from its chunks (in chunk order)."""
    chunks = sorted(chunks, key=lambda c: c.chunk)
    threshold = np.concatenate([c.threshold_days for c in chunks])
    unrecovered = np.concatenate([c.unrecovered for c in chunks])
    xirr = np.concatenate([c.xirr_japan for c in chunks])
    names = [s.name for s in problem.spvs]
    starts = [s.start for s in problem.spvs]
    if problem.program:
        names.append("Program")
        starts.append(problem.start)
    columns = {
        name: column_figures(threshold[:, i], unrecovered[:, i], xirr[:, i], starts[i])
        for i, name in enumerate(names)
    }
    index = [f for f, _ in FIGURES]
    summary = pd.DataFrame(  # object columns: a figure that does not exist stays None, not NaN
        {name: pd.Series([col[f] for f in index], index=index, dtype=object) for name, col in columns.items()}
    )
    head = threshold[:, -1]
    distributions = pd.DataFrame(
        {
            "threshold_date": np.where(head >= 0, to_datetime64(np.maximum(head, 1)), np.datetime64("NaT")),
            "threshold_years": np.where(head >= 0, (head - starts[-1]) / YEAR_DAYS, np.nan),
            "unrecovered": unrecovered[:, -1],
            "xirr_japan": xirr[:, -1],
        }
    )
    fan_sample = chunks[0].fan
    assert fan_sample is not None  # chunk 0 runs at least one scenario (scenarios >= 1), so it keeps the fan
    percentiles = np.percentile(fan_sample, FAN_PERCENTILES, axis=0).T
    fan = pd.DataFrame(
        percentiles,
        index=pd.Index(to_datetime64(fan_days(problem)), name="date"),
        columns=[f"p{p}" for p in FAN_PERCENTILES],
    )
    return RiskResult(model, scenarios, seed, summary, distributions, fan, tuple(names))
