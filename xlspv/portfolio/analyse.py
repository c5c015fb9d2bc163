"""The program view: every SPV's waterfall in one batch, then the program's tables.

:func:`analyse` computes every SPV on the batch path, one :func:`~xlspv.batch.waterfall_summary` pass that
keeps Japan's payouts per row and no other per-row output (schedules padded to the longest with zero
values on their first date; no Python per SPV), the per-SPV table, cash to each country
by calendar year, commitments against the cap and the deadline, the flags, and a sector breakdown, all
vectorised (no Python loop over SPVs). Things the user should *see* rather than be stopped by are
flags in the result (:mod:`.flags`), not errors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._jit import njit
from ..batch import waterfall_summary, waterfall_summary_grid
from ..dates import to_date, to_datetime64, years_of
from ..errors import SpvInputError, TermsError
from ..progress import Progress, say
from ..rows import party_flows
from ..terms import Terms
from ..waterfall import Batch
from ..xirr import xirr_many
from .agreement import NAMED_SECTORS
from .declined import declined_funding
from .flags import cap_status, find_flags, flag_counts, funding_rows
from .model import Portfolio, default_terms
from .odds import RecoveryOdds, check_review
from .pooled import Pooled, own_terms_error, pooled
from .readings import compare_readings
from .results import PortfolioResult, ProgramSummary
from .sensitivity import (
    GridRun,
    add_by_day,
    day_span,
    default_rates,
    rates_per_pass,
    sensitivity,
    shared_rates,
)
from .value import NEVER, funding_days, program_values


def _nan_to_none(values: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in values.tolist()]


def _dates_or_none(days: np.ndarray) -> list[dt.date | None]:
    """Dates of day ordinals, ``None`` where negative (numpy's datetime64 to object conversion makes
    the ``datetime.date`` objects in one C loop, NaT as ``None``: the dates ``to_date`` gives)."""
    days = np.asarray(days)
    out = to_datetime64(np.maximum(days, 1))
    out[days < 0] = np.datetime64("NaT")
    return out.astype(object).tolist()  # type: ignore[no-any-return]


#: Columns of :func:`_rollup`'s sums, per SPV and per year.
_FUNDED, _DISTRIBUTED, _JAPAN, _US, _PARTNER = range(5)


@njit(cache=True, nogil=True)
def _rollup_kernel(values, japan, us, partner_share, days, year_of_day, lo, n_years):  # type: ignore[no-untyped-def]  # noqa: E501
    """One pass over the batch: per SPV and per calendar year, the amounts funded and distributed and
    the payouts to Japan, the US and the partner (columns ``_FUNDED`` ... ``_PARTNER``)."""
    n_spv, n_rows = values.shape
    per_spv = np.zeros((n_spv, 5))
    per_year = np.zeros((n_years, 5))
    for s in range(n_spv):
        share = partner_share[s]
        # the SPV's sums in locals (a chain of additions through memory waits on each store): the same
        # additions in the same order as into per_spv from zero
        funded = distributed = jp = usd = 0.0
        for r in range(n_rows):
            y = year_of_day[days[s, r] - lo]
            v = values[s, r]
            j = japan[s, r]
            u = us[s, r]
            if v < 0.0:
                funded -= v
                per_year[y, _FUNDED] -= v
            elif v > 0.0:
                distributed += v
                per_year[y, _DISTRIBUTED] += v
            jp += j
            per_year[y, _JAPAN] += j
            usd += u
            per_year[y, _US] += u
            per_year[y, _PARTNER] += share * j
        per_spv[s, _FUNDED], per_spv[s, _DISTRIBUTED], per_spv[s, _JAPAN], per_spv[s, _US] = (
            funded,
            distributed,
            jp,
            usd,
        )
    per_spv[:, _PARTNER] = partner_share * per_spv[:, _JAPAN]
    return per_spv, per_year


def _rollup(batch: Batch, days: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-SPV and per-year sums of the batch (see :func:`_rollup_kernel`), and the years they cover
    (``lo`` and ``hi``: the first and last of ``days``)."""
    calendar = years_of(np.arange(lo, hi + 1, dtype=np.int64))
    y0 = int(calendar[0])
    year_of_day = (calendar - y0).astype(np.int64)
    per_spv, per_year = _rollup_kernel(
        batch.values,
        batch.japan,
        batch.us,
        batch.partner_share,
        np.ascontiguousarray(days),
        year_of_day,
        lo,
        int(year_of_day[-1]) + 1,
    )
    return per_spv, per_year, np.arange(y0, y0 + per_year.shape[0])


#: SPV x row cells of the US's payouts made at a time from Japan's (:func:`_program_pass`).
BLOCK_CELLS = 250_000


def _program_batch(
    values: np.ndarray, days: np.ndarray, term_list: Sequence[Terms], day_sums: np.ndarray, first_day: int
) -> tuple[Batch, np.ndarray]:
    """The program view's pass alone (:func:`_program_pass` with no grid rates): the batch and each
    SPV's XIRR of Japan's flows, Japan's flows by day added to ``day_sums`` from ``first_day``."""
    batch, xirr, _ = _program_pass(values, days, term_list, [day_sums], (first_day, np.empty(0, np.int64)))
    return batch, xirr


def _program_pass(
    values: np.ndarray,
    days: np.ndarray,
    term_list: Sequence[Terms],
    day_sums: list[np.ndarray],
    at: tuple[int, np.ndarray],
    more: Sequence[Terms] = (),
) -> tuple[Batch, np.ndarray, list[GridRun]]:
    """Every SPV's waterfall (``values``, ``days``: :attr:`Portfolio.padded`) in one summary pass, and
    each SPV's XIRR of Japan's flows; Japan's flows summed by day are added to ``day_sums[0]`` (from
    ``at[0]``, the first day; ``at[1]`` the days held) in the same pass.

    The program view reads the payouts, the threshold and the unrecovered balance: the summary
    (:func:`~xlspv.batch.waterfall_summary`) writes Japan's payouts per row into one array
    (``japan_rows``) and makes none of the batch's other per-row arrays (the interest, balance and
    tier here are zero columns); the US's are the rest of each distribution, as the batch makes them.
    One Terms shared by every SPV (none has its own term columns) is passed as one, so nothing is
    made per scenario from it. With ``more`` (terms of the sensitivity grid's points:
    :func:`~xlspv.portfolio.sensitivity.shared_rates`, shared terms only) the same pass runs them too
    (:func:`~xlspv.batch.waterfall_summary_grid`: each chunk's plan made once for all), their day
    sums into ``day_sums[1:]``, returned as grid points for the sensitivity to reuse (the program
    view's own figures are the same bits either way: the same kernel on the same plan and rate).
    """
    n, width = values.shape
    shared = term_list[0] if all(t is term_list[0] for t in term_list) else None
    japan = np.empty((n, width))
    first, unique = at
    if more and shared is not None and shared.flat_rate is not None:
        summaries = waterfall_summary_grid(
            values,
            None,
            shared,
            [shared.flat_rate, *(t.flat_rate for t in more)],  # (flat: shared_rates keeps only those)
            xirr=True,
            day_sums=day_sums,
            first_day=first,
            japan_rows=[japan] + [None] * len(more),
            days=days,  # the padded days as ordinals: no dates made and converted back per chunk
        )
        summary = summaries[0]
        runs = [
            GridRun(
                [t] * n,
                np.asarray(s.xirr_japan),  # (asked for: xirr=True)
                s.threshold_days,
                s.japan_received,
                sums,
                first,
                unique,
            )
            for t, s, sums in zip(more, summaries[1:], day_sums[1:], strict=True)
        ]
    else:
        summary = waterfall_summary(
            values,
            to_datetime64(days),
            list(term_list) if shared is None else shared,
            xirr=True,
            day_sums=day_sums[0],
            first_day=first,
            japan_rows=japan,
        )
        runs = []
    assert summary.xirr_japan is not None
    partner = np.array([t.partner_share for t in ([shared] * n if shared else term_list)], dtype=np.float64)
    us = np.empty((n, width))
    block = max(1, BLOCK_CELLS // max(width, 1))
    for lo in range(0, n, block):  # in blocks: the rule's temporaries stay in cache, not fresh pages
        us[lo : lo + block] = party_flows("us", values[lo : lo + block], japan[lo : lo + block], 0.0)
    batch = Batch(
        values=values,
        days=days,
        japan=japan,
        us=us,
        interest=np.empty((n, 0)),
        balance=np.empty((n, 0)),
        tier=np.empty((n, 0), dtype=np.int8),
        threshold_days=summary.threshold_days,
        unrecovered=summary.unrecovered,
        partner_share=partner,
    )
    return batch, summary.xirr_japan, runs


def analyse(
    portfolio: Portfolio,
    terms: Terms | None = None,
    progress: Progress | None = None,
    *,
    rates: Sequence[float] | None = None,
    scales: Sequence[float] = (1.0,),
    readings: bool = False,
    discount_rate: float | None = None,
    program: str | None = None,
    declined: tuple[str, dt.date | None] | None = None,
    recovery_odds: RecoveryOdds | None = None,
) -> PortfolioResult:
    """Compute the program view of a portfolio: every SPV in one batch, then the program's tables.

    Parameters
    ----------
    portfolio : Portfolio
        The checked input (:meth:`Portfolio.from_tables`, or
        :func:`xlspv.workbooks.portfolio_reader.load_portfolio`).
    terms : Terms, optional
        Default terms (each SPV's own term columns apply on top); the portfolio's own ``terms`` if
        omitted. Cumulative basis only (the batch path).
    progress : callable, optional
        Called with a one-line message (lower case, no full stop) at each stage; the command line
        prints them on stderr.
    rates : sequence of float, optional
        Deemed rates of the sensitivity grid (decimals). ``None``: the default rate (as entered,
        without a guarantee fee) -2, -1, 0, +1 and +2 points (:func:`xlspv.terms.rates_around`); an
        empty sequence: no sensitivity.
    scales : sequence of float, default (1.0,)
        Scaling factors of distributable cash for the sensitivity grid.
    readings : bool, default False
        Also compare both readings of the deemed allocation (:func:`compare_readings`: the scheduled
        basis runs one SPV at a time, some 25-35 ms per 480-row SPV, so it is computed only when asked).
        With it, the pooled reading is computed too (where no SPV has its own terms).
    discount_rate : float, optional
        Annual discount rate of the present values (:mod:`xlspv.value`); default the deemed rate.
    program : str, optional
        The program whose rules are checked ("japan-2025", "korea-2025"); default the portfolio's.
    declined : (SPV id, date or None), optional
        A declined-funding scenario (:func:`~xlspv.portfolio.declined.declined_funding`) for that SPV.
    recovery_odds : RecoveryOdds, optional
        Each SPV's probability of recovery within the program's review period (from a risk run:
        :meth:`RecoveryOdds.from_risk`): SPVs below its level are flagged ("recovery probability"), and
        the per-SPV table gains ``recovered_20y`` and ``recovered_20y_se``. Needs a program with a
        recovery review (korea-2025) and the cumulative basis.

    Returns
    -------
    PortfolioResult
        Money in the portfolio's unit; XIRRs as decimals (NaN where a party's flows have none: the US
        never funds, so it has none).

    Notes
    -----
    :func:`~xlspv.batch.waterfall_summary` computes every SPV (scenarios = SPVs, dates per SPV, terms
    per SPV, short schedules padded with zero values on their first date: see :attr:`Portfolio.padded`),
    keeping Japan's payouts per row and no other per-row output (:func:`_program_pass`). One compiled
    pass (:func:`_rollup`) then sums the batch's rows per SPV and per calendar year; the per-SPV XIRRs
    come from :func:`~xlspv.xirr.xirr_many`.

    Examples
    --------
    Two SPVs at a 10% deemed rate. A: Japan funds 100 and gets 30 of 60 a year later and 90.4 of 200 a
    year after (88 clears its balance, plus 10% of the other 24). B: Japan funds 50, 30 days after
    notice (a flag); a year later its balance is 55 and it gets 10 of 20, leaving 45 unrecovered.

    >>> import datetime as dt
    >>> from xlspv import Terms
    >>> D = dt.date
    >>> p = Portfolio.from_tables(
    ...     [{"id": "A", "name": "Plant", "sector": "energy", "notice_date": D(2024, 11, 1),
    ...       "committed": 100},
    ...      {"id": "B", "name": "Mine", "sector": "metals", "notice_date": D(2025, 6, 1), "committed": 50}],
    ...     {"spv_id": ["A", "A", "A", "B", "B"],
    ...      "date": [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1), D(2025, 7, 1), D(2026, 7, 1)],
    ...      "value": [-100, 60, 200, -50, 20]})
    >>> r = analyse(p, Terms(0.10), rates=())
    >>> r.spvs[["id", "japan_received", "unrecovered", "threshold_date"]].round(6).values.tolist()
    [['A', 120.4, 0.0, datetime.date(2027, 1, 1)], ['B', 10.0, 45.0, None]]
    >>> r.years.set_index("year")["japan_received"].round(6).to_dict()
    {2025: 0.0, 2026: 40.0, 2027: 90.4}
    >>> r.flags[["kind", "spv_id"]].values.tolist()
    [['notice', 'B']]
    """
    portfolio = portfolio.with_program(program)
    base = default_terms(portfolio, terms)
    is_pooled = base.allocation_basis == "pooled"
    if is_pooled:  # the batch computes each SPV on its own (cumulative); the program view is pooled
        problem = own_terms_error(portfolio)
        if problem:
            raise TermsError(problem)
        base = dataclasses.replace(base, allocation_basis="cumulative")
    if recovery_odds is not None:
        _check_odds(portfolio, recovery_odds, "pooled" if is_pooled else base.allocation_basis)
    term_list = portfolio.terms_for(base)
    values, days = portfolio.padded
    n, width = values.shape
    say(
        progress,
        f"checked {n:,} SPVs and {portfolio.flow_values.size:,} flow rows (longest schedule {width:,} rows)",
    )
    first, unique = day_span(days)
    grid = () if rates is not None and not len(rates) else (default_rates(base) if rates is None else rates)
    more = [] if is_pooled or not len(grid) else shared_rates(base, term_list, grid, scales)
    # the pass is the command's memory peak: rates past its budget run in the sensitivity, after it
    span = int(unique[-1]) - first + 1  # days from the first to the last
    more = more[: rates_per_pass(n, span) - 1]
    sums = [np.zeros(span) for _ in range(1 + len(more))]  # Japan's flows by date
    day_sums = sums[0]
    batch, japan_xirr, runs = _program_pass(values, days, term_list, sums, (first, unique), more)
    say(progress, f"computed {n:,} waterfalls in one batch ({n:,} x {width:,})")
    pooled_result = (
        pooled(portfolio, base) if is_pooled or (readings and not own_terms_error(portfolio)) else None
    )
    if is_pooled:
        assert pooled_result is not None
        batch = _pooled_batch(portfolio, batch, pooled_result)
        say(progress, "computed the pooled reading: one deemed balance for the program")
    per_spv, per_year, calendar_years = _rollup(batch, days, first, int(unique[-1]))
    funded = per_spv[:, _FUNDED]
    if is_pooled:  # the pooled payouts replaced the batch's: Japan's flows and their sums from them
        japan_flows = batch.party_flows("japan")  # minus fundings plus payouts, per SPV and row
        japan_xirr = xirr_many(japan_flows, np.broadcast_to(batch.days, japan_flows.shape))
        day_sums[:] = 0.0
        add_by_day(day_sums, days, first, japan_flows)
        del japan_flows
    xirr = _party_xirrs(batch, japan_xirr)
    say(progress, f"computed the XIRRs of {n:,} SPVs")
    known = (
        []
        if is_pooled
        else [
            GridRun(
                term_list,
                xirr["japan"],
                batch.threshold_days,
                batch.japan.sum(axis=1),
                day_sums,
                first,
                unique,
            ),
            *runs,
        ]
    )
    fundings = funding_rows(portfolio)  # the flags' and the cap status's
    flags = find_flags(portfolio, funded, batch.threshold_days, recovery_odds, fundings)
    funding = funding_days(portfolio)  # first and last funding, first day: the SPV table's and the values'
    spv_rows = _spv_table(portfolio, term_list, batch, days, per_spv, xirr, flag_counts(flags, n), funding)
    if recovery_odds is not None:
        spv_rows["recovered_20y"] = recovery_odds.probability
        spv_rows["recovered_20y_se"] = recovery_odds.standard_error
    years = pd.DataFrame(
        {
            "year": calendar_years,
            "japan_funded": per_year[:, _FUNDED],
            "distributed": per_year[:, _DISTRIBUTED],
            "japan_received": per_year[:, _JAPAN],
            "partner_received": per_year[:, _PARTNER],
            "us_received": per_year[:, _US],
        }
    )
    say(progress, f"summed cash by year ({len(years)} years) and by sector; {len(flags):,} flags")
    result = PortfolioResult(
        portfolio=portfolio,
        terms=base,
        unit=portfolio.unit,
        spvs=spv_rows,
        years=years,
        sectors=_sectors(spv_rows),
        flags=flags.drop(columns="spv_index"),
        cap=cap_status(portfolio, funded, fundings),
        program=_program_summary(portfolio, spv_rows, batch, day_sums[unique - first], unique),
        pooled=pooled_result,
        values=program_values(
            portfolio,
            base,
            batch.japan,
            batch.us,
            discount_rate,
            spv_terms=term_list,
            funding=funding,
        ),
        declined=None
        if declined is None
        else declined_funding(portfolio, declined[0], base, funding_date=declined[1]),
        recovery_odds=recovery_odds,
    )
    if is_pooled:
        assert pooled_result is not None
        result = dataclasses.replace(
            result,
            terms=dataclasses.replace(base, allocation_basis="pooled"),
            program=dataclasses.replace(
                result.program,
                unrecovered=pooled_result.unrecovered,
                threshold_date=pooled_result.threshold_date,
                reached=len(portfolio) if pooled_result.threshold_date else 0,
                xirr_japan=pooled_result.xirr_japan,
            ),
        )
    del batch
    if readings:
        if is_pooled:
            raise TermsError(
                "allocation_basis: 'pooled' with the readings: the Readings sheet compares the readings "
                "from the cumulative program view; run it with the cumulative basis (the pooled reading "
                "is one of its columns)."
            )
        result = dataclasses.replace(result, readings=compare_readings(result, progress))
    if len(grid):
        sens = sensitivity(portfolio, base, grid, scales, progress=progress, known=known or None)
        result = dataclasses.replace(result, sensitivity=sens)
    return result


def _check_odds(portfolio: Portfolio, odds: RecoveryOdds, basis: str) -> None:
    """Refuse probabilities the program view cannot read unambiguously (one message, the fix)."""
    check_review(portfolio.program, basis)
    if odds.years != portfolio.program.recovery_years:
        raise SpvInputError(
            f"recovery probabilities: measured over {odds.years} years, but {portfolio.program.name} "
            f"reviews recovery over {portfolio.program.recovery_years}; give probabilities over its period."
        )
    if tuple(odds.ids) != tuple(portfolio.ids):
        raise SpvInputError(
            "recovery probabilities: they are of other SPVs (or another order) than the portfolio's; "
            "compute them from the same portfolio."
        )


def _pooled_batch(portfolio: Portfolio, batch: Batch, result: Pooled) -> Batch:
    """The batch with the pooled reading's payouts in place of each SPV's own (padded layout).

    Under the pooled reading the deemed balance is the program's: every SPV shows the program's
    threshold date, and the program's unrecovered amount is spread over the SPVs in proportion to
    their funding (a presentation: the reading itself has one balance).
    """
    at = portfolio.padded_at
    japan = np.zeros_like(batch.japan)
    us = np.zeros_like(batch.us)
    japan.ravel()[at] = result.japan
    us.ravel()[at] = result.us
    funded = np.bincount(
        portfolio.flow_spv, weights=np.maximum(-portfolio.flow_values, 0.0), minlength=len(portfolio)
    )
    share = funded / funded.sum() if funded.sum() > 0 else np.zeros(len(portfolio))
    thr = -1 if result.threshold_date is None else result.threshold_date.toordinal()
    return dataclasses.replace(
        batch,
        japan=japan,
        us=us,
        threshold_days=np.full(len(portfolio), thr, dtype=np.int64),
        unrecovered=result.unrecovered * share,
    )


def _party_xirrs(batch: Batch, japan: np.ndarray) -> dict[str, np.ndarray]:
    """Each SPV's XIRR per party (NaN where its flows have none), Japan's (``japan``) given.

    The US never funds (its payouts are never negative), so it has no IRR: its search runs only when
    some US flow is negative; the partner's only when some SPV has a partner share.
    """
    none = np.full(batch.japan.shape[0], np.nan)
    xirr = {
        "japan": japan,
        "project": batch.xirr("project"),
    }
    xirr["us"] = batch.xirr("us") if (batch.us < 0.0).any() else none
    xirr["partner"] = batch.xirr("partner") if (batch.partner_share > 0).any() else none
    return xirr


def _spv_table(
    portfolio: Portfolio,
    term_list: Sequence[Terms],
    batch: Batch,
    days: np.ndarray,
    per_spv: np.ndarray,
    xirr: Mapping[str, np.ndarray],
    flag_counts: np.ndarray,
    funding: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """One row per SPV: the batch's sums (:func:`_rollup`), the XIRRs, threshold and funding dates
    (``funding``: :func:`~.value.funding_days`; -1 where an SPV never funds)."""
    funded, japan = per_spv[:, _FUNDED], per_spv[:, _JAPAN]
    partner_share = batch.partner_share
    thr = batch.threshold_days
    reached = thr >= 0
    first_funding, last_funding = np.where(funding[0] == NEVER, -1, funding[0]), funding[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        multiple = np.where(funded > 0.0, japan / funded, np.nan)
    spvs = portfolio.spvs
    return pd.DataFrame(
        {
            "id": portfolio.ids,
            "name": [s.name for s in spvs],
            "sector": [s.sector for s in spvs],
            "named_sector": [s.named_sector for s in spvs],
            "notice_date": [s.notice_date for s in spvs],
            "committed": portfolio.committed,
            "funded": funded,
            "distributed": per_spv[:, _DISTRIBUTED],
            "japan_received": japan,
            "us_received": per_spv[:, _US],
            "partner_received": per_spv[:, _PARTNER],
            "unrecovered": batch.unrecovered,
            "threshold_date": _dates_or_none(np.where(reached, thr, -1)),
            "years_to_threshold": np.where(reached, (thr - days.min(axis=1)) / 365.25, np.nan),
            "xirr_japan": xirr["japan"],
            "xirr_us": xirr["us"],
            "xirr_partner": xirr["partner"],
            "xirr_project": xirr["project"],
            "multiple_japan": multiple,
            "deemed_rate": _deemed_rates(term_list),
            "partner_share": partner_share,
            "first_funding": _dates_or_none(first_funding),
            "last_funding": _dates_or_none(last_funding),
            "flags": flag_counts,
        }
    )


def _deemed_rates(term_list: Sequence[Terms]) -> np.ndarray:
    """Each SPV's flat deemed rate, NaN where its rate is a schedule (one look-up when one Terms is
    shared by every SPV)."""
    one = term_list[0] if len(term_list) else None
    if one is not None and all(t is one for t in term_list):
        return np.full(len(term_list), np.nan if one.flat_rate is None else float(one.flat_rate))
    return np.array([t.flat_rate if t.flat_rate is not None else np.nan for t in term_list], dtype=np.float64)


def _program_summary(
    portfolio: Portfolio,
    spvs: pd.DataFrame,
    batch: Batch,
    day_sums: np.ndarray,
    unique: np.ndarray,
) -> ProgramSummary:
    """The headline figures: the per-SPV table's totals, the program threshold and Japan's program XIRR."""
    total = lambda column: float(spvs[column].to_numpy().sum())  # noqa: E731
    thr = batch.threshold_days
    reached = thr >= 0
    # the days as one shared row: the kernel signature the sensitivity's program XIRRs load too (a 2-D
    # days array would be broadcast read-only, a second signature to load on the first call)
    program_xirr = xirr_many(day_sums[None, :], unique)[0]
    return ProgramSummary(
        spvs=len(spvs),
        flow_rows=int(portfolio.flow_values.size),
        committed=float(portfolio.committed.sum()),
        funded=total("funded"),
        distributed=total("distributed"),
        japan_received=total("japan_received"),
        us_received=total("us_received"),
        partner_received=total("partner_received"),
        unrecovered=total("unrecovered"),
        reached=int(reached.sum()),
        threshold_date=to_date(int(thr.max())) if reached.all() else None,
        xirr_japan=None if math.isnan(program_xirr) else float(program_xirr),
        first_date=to_date(int(unique[0])),  # the distinct days, sorted
        last_date=to_date(int(unique[-1])),
    )


def _sectors(spvs: pd.DataFrame) -> pd.DataFrame:
    """Sums per sector: the sectors the MOU names first (in its order), then the others as they come."""
    codes, names = pd.factorize(spvs["sector"], sort=False)
    order = np.argsort(
        [NAMED_SECTORS.index(s) if s in NAMED_SECTORS else len(NAMED_SECTORS) for s in names], kind="stable"
    )
    k = len(names)
    total = lambda col: np.bincount(codes, weights=spvs[col].to_numpy(), minlength=k)  # noqa: E731
    committed = total("committed")
    all_committed = committed.sum()
    columns = {
        "sector": np.asarray(names, dtype=object),
        "named": np.array([s in NAMED_SECTORS for s in names]),
        "spvs": np.bincount(codes, minlength=k),
        "committed": committed,
        "funded": total("funded"),
        "distributed": total("distributed"),
        "japan_received": total("japan_received"),
        "us_received": total("us_received"),
        "unrecovered": total("unrecovered"),
        "share_committed": committed / all_committed if all_committed > 0 else np.zeros(k),
    }
    # in order before the table is made (one table, not a second one taken from it)
    return pd.DataFrame({name: column[order] for name, column in columns.items()})


__all__ = ["analyse"]
