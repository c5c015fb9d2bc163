"""The SPV waterfall: how each row's distributable cash splits between Japan and the US.

One SPV's waterfall under either reading: the default (``allocation_basis = "cumulative"``, the rule
in :mod:`xlspv.cumulative`, compiled once for one or many scenarios) or the scheduled second reading
(:mod:`xlspv.scheduled`). Many scenarios at once: :mod:`xlspv.batch` (re-exported here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .batch import Batch, BatchSummary, cumulative_rows, waterfall_batch, waterfall_summary
from .cumulative import CLEAR_TOLERANCE
from .dates import to_date, to_datetime64
from .inputs import Flows, prepare
from .rows import TIER_NAMES, Rows, party_flows
from .terms import Terms, TermsLike, as_terms
from .xirr import xirr_many


@dataclass(frozen=True)
class Summary:
    """Headline figures of one SPV's waterfall (money in the input's unit; rates as decimals).

    ``threshold_date`` is ``None`` when the threshold is not reached; then ``unrecovered`` is the
    deemed allocation Japan has not recovered. XIRRs are ``None`` where a party's flows have no IRR
    (the US never funds, so it has none). Multiples are received / funded, ``None`` without funding.
    """

    threshold_date: Any
    years_to_threshold: float | None
    unrecovered: float
    japan_funded: float
    japan_received: float
    us_received: float
    partner_funded: float
    partner_received: float
    distributed: float
    xirr_japan: float | None
    xirr_us: float | None
    xirr_partner: float | None
    xirr_project: float | None
    multiple_japan: float | None
    multiple_partner: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Waterfall:
    """The computed waterfall of one SPV: per-row table, headline summary, and party cash flows."""

    def __init__(self, flows: Flows, terms: Terms, rows: Rows) -> None:
        self.flows = flows
        self.terms = terms
        inverse = np.empty_like(flows.order)
        inverse[flows.order] = np.arange(flows.order.size)
        self._inverse = inverse  # input position -> date-order position
        self._rows = rows
        v = flows.values
        self.japan = rows.japan[0][inverse]
        self.us = party_flows("us", v, self.japan, 0.0)
        self.partner = terms.partner_share * self.japan
        self.interest = rows.interest[0][inverse]
        self.balance = rows.balance[0][inverse]
        self.tier_codes = rows.tier[0][inverse]
        pos = int(rows.threshold_pos[0])
        self.threshold_row = int(flows.order[pos]) if pos >= 0 else None
        self.unrecovered = float(rows.unrecovered[0])
        self.schedule = rows.schedule

    @property
    def threshold_date(self) -> Any:
        """Date (``datetime.date``) the deemed allocation is recovered for good, or ``None``."""
        if self.threshold_row is None:
            return None
        return to_date(self.flows.days[self.threshold_row])

    @property
    def tiers(self) -> np.ndarray:
        return TIER_NAMES[self.tier_codes]

    def table(self) -> Any:
        """One row per input row, in input order (a ``pandas.DataFrame``)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "date": to_datetime64(self.flows.days),
                "value": self.flows.values,
                "interest": self.interest,
                "japan": self.japan,
                "us": self.us,
                "partner": self.partner,
                "balance": self.balance,
                "tier": self.tiers,
            }
        )

    def party_flows(self, party: str) -> np.ndarray:
        """Cash flows of a party per input row: 'japan', 'us', 'partner' or 'project'.

        Japan: minus its fundings plus its payouts; the partner: the same scaled by its share; the US:
        its payouts; the project: the SPV's own values (see :func:`xlspv.rows.party_flows`).
        """
        return party_flows(party, self.flows.values, self.japan, self.terms.partner_share)

    def xirr(self, party: str, guess: float = 0.1) -> float | None:
        """XIRR of a party's flows (see :func:`xlspv.xirr`); ``None`` where it has none."""
        rate = xirr_many(self.party_flows(party)[None, :], self.flows.days[None, :], guess)[0]
        return None if math.isnan(rate) else float(rate)

    def summary(self) -> Summary:
        v = self.flows.values
        funded = float(-v[v < 0.0].sum())
        received = float(self.japan.sum())
        partner = self.terms.partner_share
        rates = xirr_many(
            np.stack([self.party_flows(p) for p in ("japan", "us", "partner", "project")]),
            self.flows.days[None, :],
        )
        rate = [None if math.isnan(r) else float(r) for r in rates]
        when = self.threshold_date
        start = to_date(self.flows.days.min())
        return Summary(
            threshold_date=when,
            years_to_threshold=None if when is None else (when - start).days / 365.25,
            unrecovered=self.unrecovered,
            japan_funded=funded,
            japan_received=received,
            us_received=float(self.us.sum()),
            partner_funded=partner * funded,
            partner_received=partner * received,
            distributed=float(v[v > 0.0].sum()),
            xirr_japan=rate[0],
            xirr_us=rate[1],
            xirr_partner=rate[2] if partner > 0.0 else None,
            xirr_project=rate[3],
            multiple_japan=received / funded if funded > 0.0 else None,
            multiple_partner=received / funded if funded > 0.0 and partner > 0.0 else None,
        )


def _rows_for(flows: Flows, terms: Terms) -> Rows:
    if terms.allocation_basis == "scheduled":
        from .scheduled import scheduled_rows

        return scheduled_rows(flows, terms)
    return cumulative_rows(flows.sorted_values, flows.sorted_days, terms)


def compute(values: Any, dates: Any, terms: TermsLike) -> Waterfall:
    """Compute one SPV's waterfall; see :class:`Waterfall` for what it holds.

    Parameters
    ----------
    values : sequence of float
        The SPV's cash flows: negative = a Japan funding, positive = distributable cash, 0 = nothing.
    dates : sequence of dates
        One per value, any order (``datetime.date``, datetimes, numpy/pandas dates, Excel serials).
    terms : Terms, float or mapping
        The SPV's terms, or just the deemed rate (every other term at its default).

    Examples
    --------
    Japan funds 100 and the SPV distributes 60 a year later, then 200 a year after that, at a 10%
    deemed rate: the balance grows to 110, 30 is paid, 80 is left; it grows to 88 and is cleared by
    the first 176 of the last row; Japan also gets 10% of the other 24.

    >>> import datetime as dt
    >>> w = compute([-100, 60, 200], [dt.date(2025, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 1, 1)], 0.10)
    >>> w.japan.round(6).tolist()
    [0.0, 30.0, 90.4]
    >>> w.threshold_date
    datetime.date(2027, 1, 1)
    """
    t = as_terms(terms)
    flows = prepare(values, dates)
    return Waterfall(flows, t, _rows_for(flows, t))


def waterfall(values: Any, dates: Any, terms: TermsLike) -> Any:
    """Per-row waterfall table (``pandas.DataFrame``) in input order.

    Columns: ``date``, ``value``, ``interest``, ``japan``, ``us``, ``partner``, ``balance``, ``tier``.
    """
    return compute(values, dates, terms).table()


def summary(values: Any, dates: Any, terms: TermsLike) -> Summary:
    """Headline figures (threshold date, unrecovered amount, totals, XIRRs, multiples)."""
    return compute(values, dates, terms).summary()


__all__ = [
    "CLEAR_TOLERANCE",
    "Batch",
    "BatchSummary",
    "Summary",
    "Waterfall",
    "as_terms",
    "compute",
    "summary",
    "waterfall",
    "waterfall_batch",
    "waterfall_summary",
]
