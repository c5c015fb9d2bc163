"""The second reading of the MOU: a scheduled (yearly) deemed allocation (``allocation_basis = "scheduled"``).

Some analysts read the deemed allocation amount as a *yearly* amount rather than one running balance
(``docs/waterfall.md``, section 9, "The second reading"):

1. allocation years run from the earliest row's date: year k is [start + k years, start + k + 1 years),
   each anniversary computed from the start (a 29 February start has 28 February anniversaries in
   common years);
2. each funding ``F`` dated in year k0 is due back in ``useful_life`` equal installments
   ``F / useful_life``, one in each of the years k0, ..., k0 + useful_life - 1;
3. the scheduled principal ``P`` during year k is the amount funded so far less the installments of
   earlier years; the year's deemed interest is ``deemed_rate * P * year_frac`` summed over the year,
   split where ``P`` or the rate changes (simple interest, the terms' day count);
4. the amount due in year k is fixed at the year's start: its interest + its installments (fundings
   later in the year included) + the shortfall carried in. Within the year Japan gets
   ``japan_share_before`` of each distribution until its before-split receipts reach the amount due
   (the row that meets it is split inside, tier "threshold"), and ``japan_share_after`` of the rest;
5. what stays unpaid at the year's end is carried into the next year as a shortfall, without
   interest; years with no rows still count;
6. the threshold is the row that pays off the last amount ever due, never before the last funding
   (when a year's earlier receipts already meet a funding made later that year, the threshold is
   that funding's row); if the schedule ends before, the unrecovered deemed allocation is what is
   still due in the last row's year plus later installments.

How the default reading's per-row outputs carry over:

- ``tier`` describes the split each row got *within its allocation year*: "before" while some of the
  year's amount due remains after the row (zero rows included), "threshold" for the row that meets
  the year's amount due (split inside the row), "after" once the year's amount is met (or when
  nothing is due that year); "funding" as in the default. So there is normally one "threshold" row
  per year; the threshold *date* (rule 6) is the last one, when nothing is ever due again after it.
- ``balance`` is what would be unrecovered if the schedule ended after the row: what is still due in
  the row's year (fixed at the year's start, rule 4, so it counts the interest and installments of
  fundings later in that year) plus the installments of later years of the fundings made so far.
  It is 0 exactly when nothing is, or will be, due any more.
- ``interest`` is the simple deemed interest on ``P`` accrued since the previous row in date order,
  split at anniversaries (where ``P`` steps down) and at rate changes. Under ACT/365F and ACT/360 the
  rows' interest adds up to the years' interest; under 30/360 the pieces can differ by a day's
  interest at month ends (``DAYS360`` is not additive), and the year table is the one that counts.
- ``compounding`` plays no part. A year whose amount due is zero or less (possible only with a
  negative deemed rate) has nothing due: its cash is split at the after-shares and it carries no
  shortfall (a shortfall is never negative).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._jit import njit
from .accrual import check_schedule_start
from .dates import NUMPY_EPOCH_ORDINAL, to_date, to_datetime64
from .daycount import year_fraction
from .errors import TermsError
from .inputs import Flows
from .rows import AFTER, BEFORE, FUNDING, THRESHOLD, Rows
from .terms import RateSchedule, Terms

#: Useful life (years) the side-by-side comparison of the two readings uses when the terms give none
#: (the report's Summary and the portfolio's Readings sheet, which label it as this default). The
#: scheduled basis itself never defaults it: ``Terms`` requires ``useful_life`` there.
DEFAULT_USEFUL_LIFE = 20

#: Columns of the per-year table (``Waterfall.schedule``), in order.
SCHEDULE_COLUMNS = (
    "year",
    "start",
    "end",
    "shortfall_in",
    "interest",
    "installments",
    "due",
    "paid",
    "shortfall_out",
)


def anniversary(start: dt.date, years: int) -> dt.date:
    """The date ``years`` whole years after ``start``, computed from the start (rule 1).

    A 29 February start falls on 28 February in common years and on 29 February in leap years.

    >>> anniversary(dt.date(2024, 2, 29), 1), anniversary(dt.date(2024, 2, 29), 4)
    (datetime.date(2025, 2, 28), datetime.date(2028, 2, 29))
    """
    year = start.year + years
    if year > dt.MAXYEAR:
        raise TermsError(
            f"useful_life: the allocation years from {start} (to the last row's year and the last "
            f"installment's) would run past 31 December {dt.MAXYEAR}; enter a shorter useful life."
        )
    try:
        return start.replace(year=year)
    except ValueError:  # 29 February in a common year
        return start.replace(year=year, day=28)


@dataclass(frozen=True)
class _Plan:
    """What the fundings and terms make due, known before any distribution (rules 1-3), per year.

    ``anniversaries[k]`` is the ordinal of the start of year k (one more than there are years, the
    last closing the last year). Fundings are in date order: their ordinals ``funding_days``, amounts
    ``funded`` (> 0), allocation years ``funding_years``. ``by_year[k]`` is the amount funded in year k.
    """

    terms: Terms
    life: int
    anniversaries: np.ndarray
    funding_days: np.ndarray
    funded: np.ndarray
    funding_years: np.ndarray
    by_year: np.ndarray

    @property
    def n_years(self) -> int:
        return self.anniversaries.size - 1

    def year_of(self, days: np.ndarray) -> np.ndarray:
        """Allocation year k of each ordinal (rule 1: the anniversary itself opens a year)."""
        return np.searchsorted(self.anniversaries, days, side="right") - 1

    def earlier_years(self, weights: np.ndarray) -> np.ndarray:
        """Per year k: ``sum over m >= 1 of by_year[k - m] * weights[m]`` (fundings of earlier years).

        Zero exactly where every weighted year funded nothing, so a fully amortised schedule leaves 0.
        """
        return np.convolve(self.by_year, weights)[: self.n_years]

    def installments(self) -> np.ndarray:
        """Installments due in each year (rule 2): ``F / useful_life`` per funding still amortising."""
        life = self.life
        return self.earlier_years(np.ones(min(life, self.n_years))) / life

    def principal(self, days: np.ndarray) -> np.ndarray:
        """Scheduled principal ``P`` in force from each ordinal on (rule 3), ``days`` increasing.

        Fundings dated on or before the day, less the installments of years before the day's year:
        ``F * (life - n) / life`` for a funding n years back, so that a fully amortised funding
        leaves exactly 0. Fundings of the day's own year count in full.
        """
        life = self.life
        year = self.year_of(days)
        m = np.arange(min(life, self.n_years))
        base = self.earlier_years(np.where(m == 0, 0.0, (life - m) * 1.0)) / life
        made = np.searchsorted(self.funding_days, days, side="right")  # fundings made by the day
        first = np.searchsorted(self.funding_years, year, side="left")  # the day's year's first one
        running = _running_by_year(self.funded, self.funding_years)
        own = np.where(made > first, running[np.maximum(made - 1, 0)] if running.size else 0.0, 0.0)
        return base[year] + own

    def rates(self, days: np.ndarray) -> np.ndarray | float:
        rate = self.terms.deemed_rate
        return rate.rate_on(days) if isinstance(rate, RateSchedule) else rate

    def cuts(self) -> np.ndarray:
        """Where ``P`` or the rate can change: anniversaries, funding dates, rate changes."""
        cuts = [self.anniversaries, self.funding_days]
        rate = self.terms.deemed_rate
        if isinstance(rate, RateSchedule):
            cuts.append(np.asarray(rate.dates, dtype=np.int64))
        return np.concatenate(cuts)

    def interest(self, bounds: np.ndarray) -> np.ndarray:
        """Simple deemed interest on ``P`` over each span ``bounds[i]`` to ``bounds[i + 1]`` (ordinals).

        Each span is split where ``P`` or the rate changes; each piece earns ``rate * P * year_frac``
        at the rate and ``P`` in force from its start. All spans' pieces are priced at once (one
        vectorised pass, linear in rows + changes) and summed per span; an empty span earns 0.
        """
        cuts = self.cuts()
        cuts = cuts[(cuts > bounds[0]) & (cuts < bounds[-1])]
        edges = np.concatenate([bounds, cuts])
        edges.sort(kind="stable")  # sorted runs: timsort merges them in linear time (np.union1d hashes)
        edges = edges[np.concatenate([[True], edges[1:] != edges[:-1]])]
        begins, ends = edges[:-1], edges[1:]
        fractions = year_fraction(self.terms.day_count, begins, ends)
        pieces = self.rates(begins) * self.principal(begins) * fractions
        at = np.searchsorted(edges, bounds)
        out = np.zeros(bounds.size - 1)
        some = at[1:] > at[:-1]
        if pieces.size:
            sums = np.add.reduceat(pieces, at[:-1][some])
            out[some] = sums
        return out


@njit(cache=True, nogil=True)
def _running_by_year(amounts, years):  # type: ignore[no-untyped-def]
    """Running total of ``amounts`` restarted where ``years`` (non-decreasing) changes.

    Each year's total is summed on its own, not as a difference of one running total over all years
    (that would carry the rounding of everything before it, and leave non-zero crumbs where nothing
    was funded in the year).
    """
    out = np.empty(amounts.size)
    run = 0.0
    for i in range(amounts.size):
        if i > 0 and years[i] != years[i - 1]:
            run = 0.0
        run += amounts[i]
        out[i] = run
    return out


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
    funded = -values[is_funding]
    return _Plan(
        terms=terms,
        life=terms.useful_life,
        anniversaries=_anniversaries(start, last_year + 1),
        funding_days=days[is_funding],
        funded=funded,
        funding_years=funding_years,
        by_year=np.bincount(funding_years, weights=funded, minlength=last_year + 1),
    )


def _anniversaries(start: dt.date, count: int) -> np.ndarray:
    """Ordinals of ``start + k`` years for k = 0, ..., ``count``."""
    if count > 0 and start.year + count <= dt.MAXYEAR and (start.month, start.day) != (2, 29):
        # every anniversary is the same month and day: one numpy conversion
        years = np.arange(start.year, start.year + count + 1) - 1970
        months = years.astype("datetime64[Y]").astype("datetime64[M]") + (start.month - 1)
        days = months.astype("datetime64[D]") + (start.day - 1)
        return days.astype(np.int64) + NUMPY_EPOCH_ORDINAL
    return np.array([anniversary(start, k).toordinal() for k in range(count + 1)], dtype=np.int64)


@njit(cache=True, nogil=True)
def _allocate(
    values,
    first_rows,
    interest,
    installments,
    later,
    before,
    after,
    japan,
    tier,
    balance,
    due,
    paid_out,
    left_out,
):
    """Rules 4 and 5 for every year, in date order: each row's split, tier and balance, in place.

    ``interest[k]`` and ``installments[k]`` are year k's; ``later[r]`` is what later years'
    installments of the fundings made by row r come to. Writes each year's amount due ``due[k]``
    (the shortfall carried in + interest + installments), before-split receipts ``paid_out[k]`` and
    the shortfall it carries out ``left_out[k]``.
    """
    shortfall = 0.0
    for year in range(due.size):
        owed = shortfall + interest[year] + installments[year]  # fixed at the year's start
        due[year] = owed
        remaining = max(owed, 0.0)
        paid = 0.0
        for pos in range(first_rows[year], first_rows[year + 1]):
            value = values[pos]
            receipt = 0.0
            if value < 0.0:
                japan[pos] = 0.0
                tier[pos] = FUNDING
            elif remaining > 0.0 and before * value < remaining:
                japan[pos] = before * value
                receipt = before * value
                tier[pos] = BEFORE
            elif remaining > 0.0:  # the year's amount due is met inside this row
                rest = max(value - remaining / before, 0.0)
                japan[pos] = remaining + after * rest
                receipt = remaining
                tier[pos] = THRESHOLD
            else:
                japan[pos] = after * value
                tier[pos] = AFTER
            paid += receipt
            remaining = 0.0 if tier[pos] == THRESHOLD else remaining - receipt
            balance[pos] = remaining + later[pos]
        paid_out[year] = paid
        left_out[year] = remaining
        shortfall = remaining


def _later_installments(plan: _Plan, values: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Per row: installments of years after the row's year of the fundings made by the row (rows in
    date order; a funding later on the same date is not made yet)."""
    life = plan.life
    m = np.arange(min(life, plan.n_years))
    base = plan.earlier_years(np.clip(life - 1 - m, 0, None) * np.where(m == 0, 0.0, 1.0))
    amounts = np.where(values < 0.0, -values, 0.0)
    own = _running_by_year(amounts, year) * (life - 1)
    return (base[year] + own) / life


def scheduled_rows(flows: Flows, terms: Terms) -> Rows:
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
    japan, balance = np.empty(n_rows), np.empty(n_rows)
    tier = np.empty(n_rows, dtype=np.int8)
    interest = np.zeros(n_rows)
    interest[1:] = plan.interest(days)

    # Rows are in date order, so each year's rows are one run: year k's start at first_rows[k].
    year = plan.year_of(days)
    first_rows = np.searchsorted(year, np.arange(plan.n_years + 1))
    year_interest = plan.interest(plan.anniversaries)
    installments = plan.installments()
    due, paid, left = np.empty(plan.n_years), np.empty(plan.n_years), np.empty(plan.n_years)
    later = _later_installments(plan, values, year)
    _allocate(
        values,
        first_rows,
        year_interest,
        installments,
        later,
        terms.japan_share_before,
        terms.japan_share_after,
        japan,
        tier,
        balance,
        due,
        paid,
        left,
    )
    shortfall_in = np.concatenate([[0.0], left[:-1]])
    records = {
        "year": np.arange(plan.n_years),
        "shortfall_in": shortfall_in,
        "interest": year_interest,
        "installments": installments,
        "due": due,
        "paid": paid,
        "shortfall_out": left,
    }
    positions = np.flatnonzero(values < 0.0)
    return Rows(
        japan=japan[None, :],
        interest=interest[None, :],
        balance=balance[None, :],
        tier=tier[None, :],
        threshold_pos=np.array([_threshold_position(balance, positions)]),
        unrecovered=balance[-1:].copy(),
        schedule=_schedule_table(records, plan.anniversaries),
    )


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


def _schedule_table(records: dict[str, np.ndarray], anniversaries: np.ndarray) -> pd.DataFrame:
    """The per-year table: one row per allocation year, columns :data:`SCHEDULE_COLUMNS`."""
    table = pd.DataFrame(records)
    table.insert(1, "start", to_datetime64(anniversaries[:-1]))
    table.insert(2, "end", to_datetime64(anniversaries[1:]))
    return table[list(SCHEDULE_COLUMNS)]


__all__ = ["SCHEDULE_COLUMNS", "anniversary", "scheduled_rows"]
