"""Both readings of the deemed allocation, side by side, per SPV and for the program.

The cumulative reading is the batch path's (:func:`~xlspv.portfolio.analyse`); the scheduled reading
(``docs/waterfall.md``, "Second reading") runs one SPV at a time through
:func:`~xlspv.waterfall.compute`, so it is computed only when asked for, never on the main path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..dates import distinct_days, to_datetime64
from ..errors import SpvError
from ..progress import Progress, say
from ..scheduled import DEFAULT_USEFUL_LIFE
from ..terms import Terms
from ..waterfall import compute
from ..xirr import xirr_many
from .model import Portfolio
from .pooled import own_terms_error, pooled
from .results import PortfolioResult, Readings

#: Useful life for an SPV whose terms give none (neither the SPV table's ``useful_life`` column nor the
#: default terms) is :data:`xlspv.scheduled.DEFAULT_USEFUL_LIFE`, labelled "default" wherever used.
#: The figures each reading gives, per SPV and for the program (the one-SPV report's Readings figures).
READING_FIGURES = ("threshold_date", "xirr_japan", "japan_received", "us_received", "unrecovered")
#: Where an SPV's useful life came from, as the Readings table labels it.
LIFE_FROM_SPV, LIFE_FROM_TERMS, LIFE_FROM_DEFAULT = "SPV table", "terms", "default: the terms give none"


def compare_readings(
    result: PortfolioResult,
    progress: Progress | None = None,
    *,
    default_useful_life: int = DEFAULT_USEFUL_LIFE,
) -> Readings:
    """Each SPV and the program under both readings of the deemed allocation, side by side.

    The cumulative reading is the one :func:`~xlspv.portfolio.analyse` computed (the batch path); the
    scheduled reading
    (``docs/waterfall.md``, "Second reading") runs each SPV through
    :func:`~xlspv.waterfall.compute` with the SPV's terms and ``allocation_basis="scheduled"``.

    Parameters
    ----------
    result : PortfolioResult
        From :func:`~xlspv.portfolio.analyse`; its terms are the default terms (each SPV's own columns apply).
    progress : callable, optional
        Called with a one-line message after every tenth of the SPVs (at least 25 SPVs apart) and at
        the end.
    default_useful_life : int, default :data:`~xlspv.scheduled.DEFAULT_USEFUL_LIFE`
        Years, for SPVs whose terms give no ``useful_life`` (neither the SPV table's column nor the
        default terms); whole years >= 1.

    Returns
    -------
    Readings

    Notes
    -----
    The scheduled basis is a Python loop inside the core (some 25-35 ms per 480-row SPV), and the
    batch path computes the cumulative basis only, so this is one :func:`~xlspv.waterfall.compute`
    call per SPV, never part of :func:`~xlspv.portfolio.analyse`'s main path. An SPV whose scheduled
    reading cannot be computed (a :class:`~xlspv.errors.SpvError`) gets a note instead of figures, and
    the program's scheduled figures are then blank.

    Examples
    --------
    The two SPVs of :func:`~xlspv.portfolio.analyse`'s example at 10%, with a useful life of 2 years.
    A: 100 funded on 2025-01-01 is due back in installments of 50 in its first two allocation years.
    Year 1 is due
    10 of interest + 50, and has no distribution: 60 is carried. Year 2 is due 5 of interest (on the
    50 left) + 50 + 60 = 115; Japan gets 30 of the 60, and 85 is carried. Year 3 is due the 85: Japan
    gets 85 of the 200 (the threshold, splitting the row at 170) and 10% of the other 30, 88 in the
    row, 118 in all (120.4 under the cumulative reading). B: 50 funded on 2025-07-01; its first year
    is due 5 + 25, carried; its second 2.5 + 25 + 30 = 57.5, of which Japan gets 10 of 20: 47.5 is
    unrecovered (45 under the cumulative reading).

    >>> import datetime as dt
    >>> from xlspv import Terms
    >>> from xlspv.portfolio import analyse
    >>> D = dt.date
    >>> p = Portfolio.from_tables(
    ...     [{"id": "A", "name": "Plant", "sector": "energy", "notice_date": D(2024, 11, 1),
    ...       "committed": 100},
    ...      {"id": "B", "name": "Mine", "sector": "metals", "notice_date": D(2025, 6, 1), "committed": 50}],
    ...     {"spv_id": ["A", "A", "A", "B", "B"],
    ...      "date": [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1), D(2025, 7, 1), D(2026, 7, 1)],
    ...      "value": [-100, 60, 200, -50, 20]})
    >>> r = compare_readings(analyse(p, Terms(0.10, useful_life=2), rates=()))
    >>> r.spvs[["id", "useful_life", "cumulative_japan_received", "scheduled_japan_received",
    ...         "cumulative_unrecovered", "scheduled_unrecovered"]].round(6).values.tolist()
    [['A', 2, 120.4, 118.0, 0.0, 0.0], ['B', 2, 10.0, 10.0, 45.0, 47.5]]
    >>> r.spvs["scheduled_threshold_date"].tolist()
    [datetime.date(2027, 1, 1), None]
    >>> r.program.loc[["cumulative", "scheduled"], ["japan_received", "unrecovered", "reached"]].round(6
    ...     ).values.tolist()
    [[130.4, 45.0, 1.0], [128.0, 47.5, 1.0]]
    >>> r.program.index.tolist()  # and the pooled reading: one balance for the program
    ['cumulative', 'scheduled', 'pooled']
    """
    portfolio = result.portfolio
    spv_terms = portfolio.terms_for(result.terms)
    n = len(portfolio)
    lives, life_from, scheduled = _useful_lives(portfolio, spv_terms, result.terms, default_useful_life)
    order = np.argsort(portfolio.flow_spv, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(portfolio.flow_spv, minlength=n))))
    dates64 = to_datetime64(portfolio.flow_days)
    japan_flows = np.zeros(portfolio.flow_values.size)  # Japan's scheduled flows, per flow row
    figures: dict[str, list[Any]] = {name: [None] * n for name in READING_FIGURES}
    notes = [""] * n
    step = max(25, -(-n // 10))  # about ten messages for a large portfolio, one for a small one
    for i in range(n):
        rows = order[bounds[i] : bounds[i + 1]]
        try:
            w = compute(portfolio.flow_values[rows], dates64[rows], scheduled[i])
        except SpvError as exc:
            notes[i] = f"not computed: {exc}"
        else:
            summary = w.summary()
            for name in READING_FIGURES:
                figures[name][i] = getattr(summary, name)
            japan_flows[rows] = w.party_flows("japan")
        if (i + 1) % step == 0 or i + 1 == n:
            say(
                progress,
                f"readings: the scheduled basis, {i + 1:,} of {n:,} SPVs (one at a time: the batch path "
                "computes the cumulative basis only)",
            )
    spvs = result.spvs
    table = pd.DataFrame(
        {"id": spvs["id"], "name": spvs["name"], "useful_life": lives, "useful_life_from": life_from}
    )
    for name in READING_FIGURES:
        table[f"cumulative_{name}"] = spvs[name].to_numpy(dtype=object if name == "threshold_date" else float)
    for name in READING_FIGURES:
        column = figures[name]
        table[f"scheduled_{name}"] = column if name == "threshold_date" else _none_to_nan(column)
    table["note"] = notes
    program = _program_readings(result, table, japan_flows, complete=not any(notes))
    if result.pooled is None and own_terms_error(portfolio) is None:
        result = dataclasses.replace(result, pooled=pooled(portfolio, result.terms))
    _add_pooled(result, table)
    program.loc["pooled"] = _pooled_program(result)
    return Readings(
        unit=result.unit,
        default_useful_life=default_useful_life,
        spvs=table,
        program=program,
    )


def _add_pooled(result: PortfolioResult, table: pd.DataFrame) -> None:
    """The pooled reading's columns (:mod:`.pooled`): every SPV's payouts against one program balance.

    The threshold date is the program's (one balance); an SPV's unrecovered amount is not defined
    under that reading (NaN: only the program has one). Blank, with a note, where the pooled reading
    cannot run (an SPV with its own terms).
    """
    pooled = result.pooled
    n = len(table)
    if pooled is None:
        for name in READING_FIGURES:
            table[f"pooled_{name}"] = [None] * n if name == "threshold_date" else np.full(n, np.nan)
        table["pooled_note"] = "not computed: some SPV has its own terms (the pooled reading has one set)"
        return
    table["pooled_threshold_date"] = [pooled.threshold_date] * n
    table["pooled_xirr_japan"] = pooled.spvs["xirr_japan"].to_numpy()
    table["pooled_japan_received"] = pooled.spvs["japan_received"].to_numpy()
    table["pooled_us_received"] = pooled.spvs["us_received"].to_numpy()
    table["pooled_unrecovered"] = np.full(n, np.nan)
    table["pooled_note"] = ""


def _pooled_program(result: PortfolioResult) -> dict[str, Any]:
    pooled = result.pooled
    if pooled is None:
        return {
            "threshold_date": None,
            "xirr_japan": np.nan,
            "japan_received": np.nan,
            "us_received": np.nan,
            "unrecovered": np.nan,
            "reached": 0,
        }
    return {
        "threshold_date": pooled.threshold_date,
        "xirr_japan": np.nan if pooled.xirr_japan is None else pooled.xirr_japan,
        "japan_received": pooled.japan_received,
        "us_received": pooled.us_received,
        "unrecovered": pooled.unrecovered,
        "reached": len(result.spvs) if pooled.threshold_date is not None else 0,
    }


def _useful_lives(
    portfolio: Portfolio, spv_terms: Sequence[Terms], base: Terms, default: int
) -> tuple[np.ndarray, list[str], list[Terms]]:
    """Each SPV's useful life, where it came from, and its scheduled terms (one object per distinct terms)."""
    lives, life_from, scheduled = [], [], []
    cache: dict[int, Terms] = {}
    for spv, terms in zip(portfolio.spvs, spv_terms, strict=True):
        own = any(name == "useful_life" for name, _ in spv.terms)
        life = terms.useful_life or default
        lives.append(life)
        life_from.append(LIFE_FROM_SPV if own else LIFE_FROM_TERMS if base.useful_life else LIFE_FROM_DEFAULT)
        if id(terms) not in cache:
            cache[id(terms)] = dataclasses.replace(terms, allocation_basis="scheduled", useful_life=life)
        scheduled.append(cache[id(terms)])
    return np.array(lives, dtype=np.int64), life_from, scheduled


def _none_to_nan(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _program_readings(
    result: PortfolioResult, table: pd.DataFrame, japan_flows: np.ndarray, *, complete: bool
) -> pd.DataFrame:
    """The program's figures under each reading (scheduled: blank unless every SPV was computed)."""
    p = result.program
    cumulative = {
        "threshold_date": p.threshold_date,
        "xirr_japan": np.nan if p.xirr_japan is None else p.xirr_japan,
        "japan_received": p.japan_received,
        "us_received": p.us_received,
        "unrecovered": p.unrecovered,
        "reached": p.reached,
    }
    dates = table["scheduled_threshold_date"].tolist()
    reached = sum(d is not None for d in dates)
    scheduled: dict[str, Any] = {name: np.nan for name in cumulative}
    scheduled.update(threshold_date=None, reached=reached)
    if complete:
        unique, inverse = distinct_days(result.portfolio.flow_days)
        sums = np.bincount(inverse, weights=japan_flows, minlength=unique.size)
        scheduled.update(
            threshold_date=max(dates) if reached == len(dates) else None,
            xirr_japan=float(xirr_many(sums[None, :], unique[None, :])[0]),
            **{name: float(table[f"scheduled_{name}"].sum()) for name in READING_FIGURES[2:]},
        )
    return pd.DataFrame([cumulative, scheduled], index=pd.Index(["cumulative", "scheduled"], name="reading"))


__all__ = ["LIFE_FROM_DEFAULT", "LIFE_FROM_SPV", "LIFE_FROM_TERMS", "READING_FIGURES", "compare_readings"]
