"""Compliance with the agreement: commitments against the cap, fundings against notice and deadline.

These are shown, not refused: a portfolio that breaks a rule of the agreement is still computed, and
every break is a flag in the result naming the SPV, the source row and the reason.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..dates import to_date, years_of
from .agreement import FUNDING_DEADLINE, MIN_NOTICE_DAYS, NAMED_SECTORS
from .model import Portfolio
from .results import CapStatus


def cap_status(portfolio: Portfolio, funded: np.ndarray) -> CapStatus:
    deadline = FUNDING_DEADLINE.toordinal()
    values, days = portfolio.flow_values, portfolio.flow_days
    funding = np.flatnonzero(values < 0.0)  # the funding rows: a few per SPV, not every flow
    after = funding[days[funding] > deadline]
    short = days[funding] - portfolio.notice_days[portfolio.flow_spv[funding]] < MIN_NOTICE_DAYS
    committed = portfolio.committed
    notice_years = years_of(portfolio.notice_days)
    fund_years = years_of(days[funding])
    first_flow_year = years_of(days.min(keepdims=True))[0] if days.size else notice_years.min()
    y0 = int(min(notice_years.min(), first_flow_year))
    n_years = int(max(notice_years.max(), fund_years.max() if funding.size else y0)) - y0 + 1
    count = lambda idx, w=None: np.bincount(idx - y0, weights=w, minlength=n_years)  # noqa: E731
    by_year = pd.DataFrame(
        {
            "year": np.arange(y0, y0 + n_years),
            "spvs_noticed": count(notice_years).astype(np.int64),
            "committed": count(notice_years, committed),
            "funded": count(fund_years, -values[funding]),
            "funded_after_deadline": count(years_of(days[after]), -values[after])
            if after.size
            else np.zeros(n_years),
        }
    )
    total = float(committed.sum())
    cap = portfolio.cap
    return CapStatus(
        unit=portfolio.unit,
        cap=cap,
        committed=total,
        headroom=cap - total,
        used=total / cap,
        funded=float(funded.sum()),
        deadline=FUNDING_DEADLINE,
        min_notice_days=MIN_NOTICE_DAYS,
        funded_after_deadline=float(-values[after].sum()),
        fundings_after_deadline=int(after.size),
        fundings_short_notice=int(short.sum()),
        late_notices=int((portfolio.notice_days > deadline - MIN_NOTICE_DAYS).sum()),
        by_year=by_year,
    )


#: Flag kinds, in the order the Flags table lists them.
FLAG_KINDS = ("cap", "notice", "deadline", "overfunded", "late notice", "sector")


def find_flags(portfolio: Portfolio, funded: np.ndarray) -> pd.DataFrame:
    """Every flag: kind, SPV, date, amount, source row and reason (vectorised detection)."""
    unit = portfolio.unit
    spvs = portfolio.spvs
    values, days, spv = portfolio.flow_values, portfolio.flow_days, portfolio.flow_spv
    deadline = FUNDING_DEADLINE.toordinal()
    rows: list[tuple[Any, ...]] = []
    committed = portfolio.committed
    total = float(committed.sum())
    if total > portfolio.cap:
        rows.append(
            (
                "cap",
                -1,
                None,
                total,
                portfolio.spv_label,
                f"Commitments of {total:,.1f} {unit} exceed the $550bn program cap ({portfolio.cap:,.1f} "
                f"{unit}) by {total - portfolio.cap:,.1f} {unit}.",
            )
        )
    funding = np.flatnonzero(values < 0.0)  # the funding rows: a few per SPV, not every flow
    gap = days[funding] - portfolio.notice_days[spv[funding]]
    for j, days_after_notice in zip(
        funding[gap < MIN_NOTICE_DAYS].tolist(), gap[gap < MIN_NOTICE_DAYS].tolist(), strict=True
    ):
        s = spvs[spv[j]]
        when = "after" if days_after_notice >= 0 else "before"
        rows.append(
            (
                "notice",
                int(spv[j]),
                to_date(days[j]),
                float(-values[j]),
                portfolio.flow_where(j),
                f"Funding dated {to_date(days[j])} is {abs(days_after_notice)} days {when} the notice of "
                f"{s.notice_date}; the MOU requires at least {MIN_NOTICE_DAYS} days after notice.",
            )
        )
    for j in funding[days[funding] > deadline].tolist():
        rows.append(
            (
                "deadline",
                int(spv[j]),
                to_date(days[j]),
                float(-values[j]),
                portfolio.flow_where(j),
                f"Funding dated {to_date(days[j])} is {int(days[j] - deadline)} days after the program "
                f"deadline of {FUNDING_DEADLINE:%d %B %Y}.",
            )
        )
    tolerance = 1e-9 * np.maximum(1.0, committed)
    for i in np.flatnonzero(funded > committed + tolerance).tolist():
        rows.append(
            (
                "overfunded",
                i,
                None,
                float(funded[i] - committed[i]),
                spvs[i].where,
                f"Funded {funded[i]:,.1f} {unit} is above the committed {committed[i]:,.1f} {unit} "
                f"(by {funded[i] - committed[i]:,.1f} {unit}).",
            )
        )
    for i in np.flatnonzero(portfolio.notice_days > deadline - MIN_NOTICE_DAYS).tolist():
        rows.append(
            (
                "late notice",
                i,
                spvs[i].notice_date,
                float(committed[i]),
                spvs[i].where,
                f"Notice dated {spvs[i].notice_date} is less than {MIN_NOTICE_DAYS} days before the "
                f"deadline of {FUNDING_DEADLINE:%d %B %Y}: no funding can meet both rules.",
            )
        )
    for i, s in enumerate(spvs):
        if not s.named_sector:
            rows.append(
                (
                    "sector",
                    i,
                    None,
                    float(committed[i]),
                    s.where,
                    f"Sector {s.sector!r} is not one the MOU names ({', '.join(NAMED_SECTORS)}).",
                )
            )
    table = pd.DataFrame(rows, columns=["kind", "spv_index", "date", "amount", "source", "reason"])
    table["spv_id"] = [spvs[i].id if i >= 0 else "" for i in table["spv_index"]]
    table["spv_name"] = [spvs[i].name if i >= 0 else "(program)" for i in table["spv_index"]]
    table["_kind"] = [FLAG_KINDS.index(k) for k in table["kind"]]
    table = (
        table.sort_values(["_kind", "spv_index"], kind="stable").drop(columns="_kind").reset_index(drop=True)
    )
    return table[["kind", "spv_id", "spv_name", "date", "amount", "source", "reason", "spv_index"]]


def flag_counts(flags: pd.DataFrame, n: int) -> np.ndarray:
    """How many flags each of the ``n`` SPVs has (program-wide flags, ``spv_index`` -1, count for none)."""
    if not len(flags):
        return np.zeros(n, dtype=np.int64)
    return flags["spv_index"].value_counts().reindex(range(n), fill_value=0).to_numpy()


__all__ = ["FLAG_KINDS", "cap_status", "find_flags", "flag_counts"]
