"""Compliance with the agreement: commitments against the cap, fundings against notice and deadline.

These are shown, not refused: a portfolio that breaks a rule of the agreement is still computed, and
every break is a flag in the result naming the SPV, the source row and the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from ..dates import to_date, years_of
from .agreement import NAMED_SECTORS, days_after_notice
from .model import Portfolio
from .odds import PROBABILITY_FLAG, RecoveryOdds, level_text
from .results import CapStatus

#: An ordinal after every date: "no deadline" compares as never passed.
_NO_DEADLINE = dt.date.max.toordinal()


def _deadline(portfolio: Portfolio) -> int:
    deadline = portfolio.program.deadline
    return _NO_DEADLINE if deadline is None else deadline.toordinal()


def _notice_gaps(portfolio: Portfolio, funding: np.ndarray) -> np.ndarray:
    """Days after notice of each funding row, by the program's rule (calendar or business days)."""
    return days_after_notice(
        portfolio.program, portfolio.notice_days[portfolio.flow_spv[funding]], portfolio.flow_days[funding]
    )


def funding_rows(portfolio: Portfolio) -> tuple[np.ndarray, np.ndarray]:
    """The funding rows (a few per SPV, not every flow) and each one's days after notice by the program's
    rule: what :func:`cap_status` and :func:`find_flags` both read."""
    funding = np.flatnonzero(portfolio.flow_values < 0.0)
    return funding, _notice_gaps(portfolio, funding)


def _late_notices(portfolio: Portfolio) -> np.ndarray:
    """SPVs noticed too late for any funding to meet both the notice rule and the deadline."""
    program = portfolio.program
    if program.deadline is None:
        return np.zeros(len(portfolio.spvs), dtype=bool)
    deadline = np.full(len(portfolio.spvs), program.deadline.toordinal())
    return days_after_notice(program, portfolio.notice_days, deadline) < program.notice_days


def cap_status(
    portfolio: Portfolio, funded: np.ndarray, fundings: tuple[np.ndarray, np.ndarray] | None = None
) -> CapStatus:
    """Commitments against the cap, fundings against the deadline and notice, by year (``fundings``:
    :func:`funding_rows`, when the caller has them)."""
    deadline = _deadline(portfolio)
    min_notice = portfolio.program.notice_days
    values, days = portfolio.flow_values, portfolio.flow_days
    funding, gap = funding_rows(portfolio) if fundings is None else fundings
    after = funding[days[funding] > deadline]
    short = gap < min_notice
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
    annual = portfolio.annual_cap
    if annual is not None:  # the yearly cap (Korea: $20bn a calendar year), checked year by year
        by_year["annual_cap"] = annual
        by_year["over_annual_cap"] = np.maximum(by_year["funded"].to_numpy() - annual, 0.0)
    total = float(committed.sum())
    cap = portfolio.cap
    return CapStatus(
        unit=portfolio.unit,
        cap=cap,
        committed=total,
        headroom=cap - total,
        used=total / cap,
        funded=float(funded.sum()),
        deadline=portfolio.program.deadline,
        min_notice_days=min_notice,
        funded_after_deadline=float(-values[after].sum()),
        fundings_after_deadline=int(after.size),
        fundings_short_notice=int(short.sum()),
        late_notices=int(_late_notices(portfolio).sum()),
        by_year=by_year,
        program=portfolio.program,
        annual_cap=annual,
        years_over_annual_cap=int((by_year["over_annual_cap"] > 1e-9 * annual).sum()) if annual else 0,
    )


#: Flag kinds, in the order the Flags table lists them.
FLAG_KINDS = (
    "cap",
    "annual cap",
    "notice",
    "deadline",
    "overfunded",
    "late notice",
    "sector",
    "recovery",
    PROBABILITY_FLAG,
)


def find_flags(
    portfolio: Portfolio,
    funded: np.ndarray,
    recovery_days: np.ndarray | None = None,
    odds: RecoveryOdds | None = None,
    fundings: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Every flag: kind, SPV, date, amount, source row and reason (vectorised detection).

    ``recovery_days`` is each SPV's threshold date (ordinal, -1 where not reached), for the program's
    recovery review (Korea: 20 years from the first funding); ``odds`` the probabilities of recovery
    within that period (:func:`probability_rows`); ``fundings`` the funding rows and their notice gaps
    (:func:`funding_rows`), when the caller has them.
    """
    unit = portfolio.unit
    spvs = portfolio.spvs
    program = portfolio.program
    values, days, spv = portfolio.flow_values, portfolio.flow_days, portfolio.flow_spv
    deadline = _deadline(portfolio)
    min_notice = program.notice_days
    word = "US federal business days" if program.notice_basis == "business" else "days"
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
                f"Commitments of {total:,.1f} {unit} exceed the ${program.cap_usd_m / 1000:,.0f}bn program "
                f"cap ({portfolio.cap:,.1f} {unit}) by {total - portfolio.cap:,.1f} {unit}.",
            )
        )
    funding, gap = funding_rows(portfolio) if fundings is None else fundings
    rows += _annual_cap_rows(portfolio, funding)
    for j, after_notice in zip(
        funding[gap < min_notice].tolist(), gap[gap < min_notice].tolist(), strict=True
    ):
        s = spvs[spv[j]]
        when = "after" if after_notice >= 0 else "before"
        rows.append(
            (
                "notice",
                int(spv[j]),
                to_date(days[j]),
                float(-values[j]),
                portfolio.flow_where(j),
                f"Funding dated {to_date(days[j])} is {abs(after_notice)} {word} {when} the notice of "
                f"{s.notice_date}; the MOU requires at least {min_notice} {word} after notice.",
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
                f"deadline of {program.deadline:%d %B %Y}.",
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
    for i in np.flatnonzero(_late_notices(portfolio)).tolist():
        rows.append(
            (
                "late notice",
                i,
                spvs[i].notice_date,
                float(committed[i]),
                spvs[i].where,
                f"Notice dated {spvs[i].notice_date} is less than {min_notice} {word} before the "
                f"deadline of {program.deadline:%d %B %Y}: no funding can meet both rules.",
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
    if recovery_days is not None:
        rows += _recovery_rows(portfolio, recovery_days)
    if odds is not None:
        rows += probability_rows(
            portfolio, odds.probability, odds.standard_error, odds.level, scenarios=odds.scenarios
        )
    rank = {kind: k for k, kind in enumerate(FLAG_KINDS)}
    rows.sort(key=lambda row: (rank[row[0]], row[1]))  # by kind, then SPV (stable: source order within)
    return _flag_table(rows, spvs)


#: The Flags table's columns, in order.
FLAG_COLUMNS = ("kind", "spv_id", "spv_name", "date", "amount", "source", "reason", "spv_index")


def _flag_table(rows: list[tuple[Any, ...]], spvs: tuple[Any, ...]) -> pd.DataFrame:
    """The Flags table of sorted ``(kind, spv_index, date, amount, source, reason)`` rows, made at once
    (pandas adds a block per column set one at a time)."""
    if not rows:  # the types pandas gives the empty columns when set one at a time (as they always were)
        table = pd.DataFrame(rows, columns=["kind", "spv_index", "date", "amount", "source", "reason"])
        table["spv_id"] = []
        table["spv_name"] = []
        return table[list(FLAG_COLUMNS)]
    kind, index, date, amount, source, reason = (list(column) for column in zip(*rows, strict=True))
    return pd.DataFrame(
        {
            "kind": kind,
            "spv_id": [spvs[i].id if i >= 0 else "" for i in index],
            "spv_name": [spvs[i].name if i >= 0 else "(program)" for i in index],
            "date": date,
            "amount": amount,
            "source": source,
            "reason": reason,
            "spv_index": index,
        }
    )


def _annual_cap_rows(portfolio: Portfolio, funding: np.ndarray) -> list[tuple[Any, ...]]:
    """One program flag per calendar year whose fundings exceed the program's yearly cap."""
    annual, annual_usd_m = portfolio.annual_cap, portfolio.program.annual_cap_usd_m
    if annual is None or annual_usd_m is None or not funding.size:  # None together: no yearly cap
        return []
    years = years_of(portfolio.flow_days[funding])
    y0 = int(years.min())
    sums = np.bincount(years - y0, weights=-portfolio.flow_values[funding])
    unit = portfolio.unit
    rows = []
    for k in np.flatnonzero(sums > annual * (1 + 1e-12)).tolist():
        rows.append(
            (
                "annual cap",
                -1,
                dt.date(y0 + k, 12, 31),
                float(sums[k]),
                portfolio.flow_label,
                f"Fundings dated in {y0 + k} add up to {sums[k]:,.1f} {unit}, above the yearly cap of "
                f"${annual_usd_m / 1000:,.0f}bn ({annual:,.1f} {unit}) by "
                f"{sums[k] - annual:,.1f} {unit}.",
            )
        )
    return rows


def review_dates(portfolio: Portfolio, years: int) -> tuple[np.ndarray, list[dt.date | None]]:
    """Each SPV's first funding day (ordinal, -1: never funds) and the end of its review period.

    The period ends ``years`` years after the first funding, on its anniversary (28 February for a
    first funding on 29 February when the anniversary year has none); ``None`` where the SPV never funds.
    """
    values, days, spv = portfolio.flow_values, portfolio.flow_days, portfolio.flow_spv
    funding = np.flatnonzero(values < 0.0)
    first = np.full(len(portfolio.spvs), -1, dtype=np.int64)
    order = funding[np.argsort(days[funding], kind="stable")[::-1]]
    first[spv[order]] = days[order]  # the earliest funding day wins (written last)
    limits: list[dt.date | None] = []
    for day in first.tolist():
        if day < 0:
            limits.append(None)
            continue
        start = to_date(day)
        try:
            limits.append(start.replace(year=start.year + years))
        except ValueError:  # 29 February: the anniversary is 28 February
            limits.append(start.replace(year=start.year + years, day=28))
    return first, limits


def _recovery_rows(portfolio: Portfolio, recovery_days: np.ndarray) -> list[tuple[Any, ...]]:
    """SPVs whose deemed allocation is not recovered within the program's review period.

    The period runs from the SPV's first funding; an SPV that does not recover by the end of its
    schedule is flagged too when its schedule reaches past the period's end or never recovers at all.
    """
    years = portfolio.program.recovery_years
    if years is None:
        return []
    first, limits = review_dates(portfolio, years)
    rows = []
    for i, s in enumerate(portfolio.spvs):
        limit = limits[i]
        if limit is None:
            continue
        start = to_date(int(first[i]))
        reached = int(recovery_days[i])
        if 0 <= reached <= limit.toordinal():
            continue
        when = f"recovered on {to_date(reached)}" if reached >= 0 else "not recovered by the schedule's end"
        rows.append(
            (
                "recovery",
                i,
                limit,
                float(portfolio.committed[i]),
                s.where,
                f"Deemed allocation {when}, more than {years} years after the first funding of {start}: "
                "the MOU lets the allocation be adjusted when recovery within 20 years is not "
                "reasonably apparent.".replace("20", str(years)),
            )
        )
    return rows


def probability_rows(
    portfolio: Portfolio,
    probability: np.ndarray,
    standard_error: np.ndarray,
    level: float,
    *,
    scenarios: int = 0,
) -> list[tuple[Any, ...]]:
    """Flag rows of the SPVs whose probability of recovery within the review period is below ``level``.

    Parameters
    ----------
    portfolio : Portfolio
        The program; its ``program.recovery_years`` is the review period (required).
    probability, standard_error : numpy.ndarray
        Per SPV, in the portfolio's order: the probability (0 to 1) of recovering the deemed allocation
        within the period from the first funding, and its Monte Carlo standard error.
    level : float
        The stated level (0 to 1): a probability strictly below it is flagged.
    scenarios : int, optional
        The scenarios behind the probabilities, named in each reason.

    Returns
    -------
    list of tuple
        ``(kind, spv_index, date, amount, source, reason)`` rows, as :func:`find_flags` lists them; the
        date is the end of the review period, the amount the SPV's commitment. An SPV that never funds
        has no review period and is never flagged.
    """
    years = portfolio.program.recovery_years
    if years is None:
        return []
    first, limits = review_dates(portfolio, years)
    runs = f", {scenarios:,} scenarios" if scenarios else ""
    rows = []
    for i in np.flatnonzero(np.asarray(probability) < level).tolist():
        limit = limits[i]
        if limit is None:
            continue
        rows.append(
            (
                PROBABILITY_FLAG,
                i,
                limit,
                float(portfolio.committed[i]),
                portfolio.spvs[i].where,
                f"Probability of recovering the deemed allocation within {years} years of the first funding "
                f"of {to_date(int(first[i]))} is {probability[i]:.1%} (Monte Carlo standard error "
                f"{standard_error[i]:.1%}{runs}), below the stated level of {level_text(level)}.",
            )
        )
    return rows


def flag_counts(flags: pd.DataFrame, n: int) -> np.ndarray:
    """How many flags each of the ``n`` SPVs has (program-wide flags, ``spv_index`` -1, count for none)."""
    index = flags["spv_index"].to_numpy(dtype=np.int64)
    return np.bincount(index[index >= 0], minlength=n)


__all__ = [
    "FLAG_KINDS",
    "cap_status",
    "find_flags",
    "flag_counts",
    "funding_rows",
    "probability_rows",
    "review_dates",
]
