"""The scheduled reading as it was computed before it was compiled: a row at a time, in plain numpy.

Kept only as the reference the property test in ``tests/test_scheduled.py`` compares the compiled
reading with (the same rules, written the slow and obvious way). Copied from ``xlspv/scheduled.py``
before the change; not part of the package.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xlspv.accrual import check_schedule_start
from xlspv.dates import to_date
from xlspv.daycount import year_fraction
from xlspv.inputs import Flows
from xlspv.rows import AFTER, BEFORE, FUNDING, THRESHOLD, Rows
from xlspv.scheduled import _anniversaries, _schedule_table
from xlspv.terms import RateSchedule, Terms


@dataclass(frozen=True)
class _Plan:
    """What the fundings and terms make due, known before any distribution (rules 1-3).

    ``anniversaries[k]`` is the ordinal of the start of year k (one more than there are years, the
    last closing the last year). Fundings are in date order: their ordinals ``funding_days``, amounts
    ``funded`` (> 0), allocation years ``funding_years`` and date-order row positions
    ``funding_positions``.
    """

    terms: Terms
    anniversaries: np.ndarray
    funding_days: np.ndarray
    funded: np.ndarray
    funding_years: np.ndarray
    funding_positions: np.ndarray

    @property
    def useful_life(self) -> int:
        assert self.terms.useful_life is not None  # Terms guarantees it under "scheduled"
        return self.terms.useful_life

    @property
    def n_years(self) -> int:
        return self.anniversaries.size - 1

    def year_of(self, days: np.ndarray) -> np.ndarray:
        """Allocation year k of each ordinal (rule 1: the anniversary itself opens a year)."""
        return np.searchsorted(self.anniversaries, days, side="right") - 1

    def installments(self, year: int) -> float:
        """Installments due in ``year`` (rule 2): ``F / useful_life`` per funding still amortising."""
        k0 = self.funding_years
        live = (k0 <= year) & (year < k0 + self.useful_life)
        return float(self.funded[live].sum() / self.useful_life)

    def later_installments(self, year: int, position: int) -> float:
        """Installments of years after ``year`` of the fundings at date-order positions <= ``position``."""
        made = self.funding_positions <= position
        left = np.clip(self.funding_years[made] + self.useful_life - 1 - year, 0, self.useful_life)
        return float((self.funded[made] * left).sum() / self.useful_life)

    def principal(self, days: np.ndarray) -> np.ndarray:
        """Scheduled principal ``P`` in force from each ordinal on (rule 3).

        Fundings dated on or before the day, less the installments of years before the day's year;
        written as ``F * (life - n) / life`` so that a fully amortised funding leaves exactly 0.
        """
        life = self.useful_life
        days = np.atleast_1d(days)
        year = self.year_of(days)
        made = self.funding_days[:, None] <= days[None, :]
        paid_years = np.clip(year[None, :] - self.funding_years[:, None], 0, life)
        return (self.funded[:, None] * made * (life - paid_years) / life).sum(axis=0)

    def interest(self, start: int, end: int) -> float:
        """Simple deemed interest on ``P`` from ``start`` to ``end`` (ordinals).

        The span is split where ``P`` changes (anniversaries, funding dates) or the rate changes;
        each piece earns ``rate * P * year_frac`` at the rate and ``P`` in force from its start.
        """
        if end <= start:
            return 0.0
        cuts = [self.anniversaries, self.funding_days]
        rate = self.terms.deemed_rate
        if isinstance(rate, RateSchedule):
            cuts.append(np.asarray(rate.dates, dtype=np.int64))
        inside = np.concatenate(cuts)
        inside = inside[(inside > start) & (inside < end)]
        edges = np.union1d([start, end], inside)
        begins, ends = edges[:-1], edges[1:]
        rates = rate.rate_on(begins) if isinstance(rate, RateSchedule) else rate
        fractions = year_fraction(self.terms.day_count, begins, ends)
        return float((rates * self.principal(begins) * fractions).sum())


def _build_plan(days: np.ndarray, values: np.ndarray, terms: Terms) -> _Plan:
    """The allocation years and fundings of sorted rows: years run to the last row or last installment."""
    assert terms.useful_life is not None
    start = to_date(days[0])
    is_funding = values < 0.0
    # Enough anniversaries to place every row; then extend to the year of the last installment.
    n_row_years = to_date(days[-1]).year - start.year + 1
    anniversaries = _anniversaries(start, n_row_years)
    last_year = int(np.searchsorted(anniversaries, days[-1], side="right") - 1)
    funding_years = np.searchsorted(anniversaries, days[is_funding], side="right") - 1
    if funding_years.size:
        last_year = max(last_year, int(funding_years.max()) + terms.useful_life - 1)
    return _Plan(
        terms=terms,
        anniversaries=_anniversaries(start, last_year + 1),
        funding_days=days[is_funding],
        funded=-values[is_funding],
        funding_years=funding_years,
        funding_positions=np.flatnonzero(is_funding),
    )


def _split(value: float, remaining: float, terms: Terms) -> tuple[float, float, int]:
    """Japan's part of one row, its before-split receipt and the row's tier (rule 4).

    ``remaining`` is what is still due in the row's year before the row.
    """
    before, after = terms.japan_share_before, terms.japan_share_after
    if value < 0.0:
        return 0.0, 0.0, FUNDING
    if remaining > 0.0 and before * value < remaining:
        return before * value, before * value, BEFORE
    if remaining > 0.0:  # the year's amount due is met inside this row
        rest = max(value - remaining / before, 0.0)
        return remaining + after * rest, remaining, THRESHOLD
    return after * value, 0.0, AFTER


def _threshold_position(balance: np.ndarray, funding_positions: np.ndarray) -> int:
    """Rule 6: the row after which nothing is ever due again, or -1 (still due, or nothing funded).

    Never before the last funding: an amount is not recovered before it is funded. The amount due
    in a year is fixed at the year's start (rule 4), so earlier receipts of the year can meet a
    funding made later that year; then the threshold is that funding's row.
    """
    if not funding_positions.size or balance[-1] > 0.0:
        return -1
    owing = np.flatnonzero(balance > 0.0)
    first_clear = int(owing[-1]) + 1 if owing.size else 0
    return max(first_clear, int(funding_positions[-1]))


def reference_rows(flows: Flows, terms: Terms) -> Rows:
    """Per-row split and per-year table of the scheduled deemed allocation (the second reading).

    Parameters
    ----------
    flows : Flows
        One SPV's prepared rows (see :func:`xlspv.inputs.prepare`): negative = a Japan funding,
        positive = distributable cash, 0 = nothing.
    terms : Terms
        Terms with ``useful_life`` (whole years); ``deemed_rate`` (a number or a rate schedule),
        ``day_count``, ``japan_share_before`` and ``japan_share_after`` are used, ``compounding`` is not.

    Returns
    -------
    Rows
        Arrays shaped ``(1, rows)`` in date order: ``japan`` (the whole Japanese side's payout),
        ``interest`` (simple deemed interest since the previous row), ``balance`` (what would be
        unrecovered if the schedule ended after the row), ``tier``; ``threshold_pos`` (date-order
        position of the threshold row, or -1) and ``unrecovered`` (one value each); and ``schedule``,
        one row per allocation year with the columns of :data:`SCHEDULE_COLUMNS` (money in the
        input's unit; ``end`` is the next anniversary, the first day *not* in the year).

    Raises
    ------
    RateScheduleError
        When a rate schedule starts after the first row's date.
    TermsError
        When the allocation years would run past the year 9999.

    Notes
    -----
    Per year k: ``due = shortfall_in + interest + installments``; Japan's before-split receipts
    ``paid`` stop at ``due``; ``shortfall_out = due - paid`` (never below 0) is the next year's
    ``shortfall_in``. See the module docstring for how ``tier`` and ``balance`` are read per year.

    Examples
    --------
    The published example: Japan funds $10bn (in $m) at 4.5% SOFR + 1% over a 20-year useful life.
    What is due in the first year, and what does Japan get of a $3bn distribution that year?

    >>> import datetime as dt, xlspv
    >>> terms = xlspv.Terms(0.055, allocation_basis="scheduled", useful_life=20)
    >>> w = xlspv.compute([-10_000, 3_000], [dt.date(2026, 1, 1), dt.date(2026, 7, 1)], terms)
    >>> w.schedule.loc[0, ["interest", "installments", "due"]].astype(float).round(6).tolist()
    [550.0, 500.0, 1050.0]

    Half of the first $2.1bn meets the $1.05bn; Japan gets 10% of the other $0.9bn:

    >>> round(float(w.japan[1]), 6), str(w.tiers[1])
    (1140.0, 'threshold')
    >>> round(w.unrecovered, 6)  # the 19 later installments of $0.5bn
    9500.0
    """
    days, values = flows.sorted_days, flows.sorted_values
    check_schedule_start(terms, days)
    plan = _build_plan(days, values, terms)
    n_rows = values.size
    japan, balance = np.zeros(n_rows), np.zeros(n_rows)
    tier = np.empty(n_rows, dtype=np.int8)
    interest = np.zeros(n_rows)
    interest[1:] = [plan.interest(int(a), int(b)) for a, b in zip(days[:-1], days[1:], strict=True)]

    # Rows are in date order, so each year's rows are one run: year k's start at first_rows[k].
    first_rows = np.searchsorted(plan.year_of(days), np.arange(plan.n_years + 1))
    records = []
    shortfall = 0.0
    for year in range(plan.n_years):
        rows = range(first_rows[year], first_rows[year + 1])
        record = _allocate_year(plan, year, shortfall, rows, values, japan, tier, balance)
        records.append(record)
        shortfall = record[-1]

    return Rows(
        japan=japan[None, :],
        interest=interest[None, :],
        balance=balance[None, :],
        tier=tier[None, :],
        threshold_pos=np.array([_threshold_position(balance, plan.funding_positions)]),
        unrecovered=balance[-1:].copy(),
        schedule=_schedule_table(_columns(records), plan.anniversaries),
    )


def _allocate_year(
    plan: _Plan,
    year: int,
    shortfall: float,
    rows: range,
    values: np.ndarray,
    japan: np.ndarray,
    tier: np.ndarray,
    balance: np.ndarray,
) -> tuple[int, float, float, float, float, float, float]:
    """Rules 4 and 5 for one allocation year: split its ``rows`` (date-order positions) in place.

    Returns the year's table row: year, shortfall carried in, interest, installments, amount due,
    Japan's before-split receipts and the shortfall carried out.
    """
    interest = plan.interest(int(plan.anniversaries[year]), int(plan.anniversaries[year + 1]))
    installments = plan.installments(year)
    due = shortfall + interest + installments  # fixed at the year's start
    remaining, paid = max(due, 0.0), 0.0
    for pos in rows:
        japan[pos], receipt, tier[pos] = _split(float(values[pos]), remaining, plan.terms)
        paid += receipt
        remaining = 0.0 if tier[pos] == THRESHOLD else remaining - receipt
        balance[pos] = remaining + plan.later_installments(year, pos)
    return year, shortfall, interest, installments, due, paid, remaining


def _columns(records: list[tuple[int, float, float, float, float, float, float]]) -> dict[str, np.ndarray]:
    names = ("year", "shortfall_in", "interest", "installments", "due", "paid", "shortfall_out")
    return {name: np.array([r[i] for r in records]) for i, name in enumerate(names)}
