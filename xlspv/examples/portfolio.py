"""The built-in example portfolio: illustrative SPVs across the sectors the MOU names.

It is **not** the real program. No cash-flow schedule, notice date, deemed rate or term of any real
SPV is public; every schedule here is invented to show how the program view works. Where public
reports give a project's size, the SPV's committed amount uses it (US$ millions); everywhere else the
size is illustrative and says so. Sector assignments are ours.

Sizes from public reports (the reports, not official texts, were read; titles and dates as published):

- Portsmouth, Ohio natural-gas power plant, 9.2 GW, operated by SB Energy: $33 billion; Texas GulfLink
  deepwater crude oil export terminal, operated by Sentinel Midstream: $2.1 billion. Reuters, "Trump
  says Japan to invest in energy, industrial projects in Ohio, Texas and Georgia" (as carried by BNN
  Bloomberg), 17 February 2026. These are two of the first three projects announced under the program
  (about $36 billion in all); the notice date used here is that announcement date (an assumption).
- Synthetic industrial diamond grit plant in Georgia, operated by Element Six: about $600 million.
  NoCap Times, "US-Japan Launch $36 Billion Energy and Minerals Push to Strengthen Strategic Supply
  Chains", 20 February 2026 (the third of the first three projects).
- Copper smelting and refining facility: $2 billion, reported as under consideration for the second
  round. Reuters (as carried by Tradevae), "Tokyo and Washington Explore Adding Nuclear Build to
  $550 Billion Investment Agenda", 4 March 2026.
- Westinghouse AP1000 reactors and small modular reactors: "up to $100 billion"; data-centre power
  systems with Mitsubishi Electric: up to $30 billion; advanced electronic components with Murata
  Manufacturing: up to $15 billion. The White House, "Fact Sheet: President Donald J. Trump Drives
  Forward Billions in Investments from Japan", 28 October 2025, read as re-published (govpulse.tools,
  Mirage News; the $30 billion also in dpa-AFX, 28 October 2025). These are projects Japanese companies
  expressed interest in, not selections; the AP1000 figure is also in American Nuclear Society, "Japan
  looks to support U.S. nuclear projects", 3 November 2025. Their notice dates here are illustrative.
- Pharmaceutical ingredients, shipyard modernisation and quantum computing: no public figure found;
  the sizes are illustrative.
- The second tranche, reported in March 2026: GE Vernova Hitachi small modular reactors (BWRX-300) in
  Tennessee and Alabama, about $40 billion, and gas-fired power plants in Pennsylvania and Texas
  (reports of the second tranche of Japan's program, March 2026, as summarised in
  ``docs/waterfall.md``). The SMR figure is the reported one; the gas plants' sizes were not found in
  the reports read and are illustrative; the notice dates (31 March 2026) are an assumption.

Deliberate flags, so the report shows how flags look: the quantum-computing SPV's first funding is 30
days after its notice (the MOU asks for at least 45); the shipyard's last two tranches fall after the
19 January 2029 deadline; the pharmaceutical SPV funds 5% more than it committed.

>>> p = portfolio()
>>> len(p), p.unit, round(float(p.committed.sum()))
(13, '$m', 240700)
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..portfolio.model import Portfolio
from ..terms import Terms
from . import spv as example

UNIT = "$m"
#: Default terms: the single-SPV example's (six-month SOFR of about 4.0% plus a 1.5% spread).
TERMS: Terms = example.TERMS
NAME = "Example portfolio: thirteen illustrative SPVs under the US-Japan $550bn program"


@dataclass(frozen=True)
class ExampleSpv:
    """One example SPV and the shape of its invented cash flows.

    Fundings: ``tranches`` quarterly tranches from ``first_funding_days`` after notice, adding up to
    ``committed * funded_factor``. Distributions: semiannual for ``life`` years from ``build_years``
    after the first funding, ramping up over two years to ``cash_yield * committed`` a year, then
    growing 1.5% a year.
    """

    id: str
    name: str
    sector: str
    notice: dt.date
    committed: float
    source: str
    tranches: int
    build_years: int
    life: int
    cash_yield: float
    first_funding_days: int = 60
    funded_factor: float = 1.0
    terms: dict[str, Any] = field(default_factory=dict)


ANNOUNCED = dt.date(2026, 2, 17)
#: The second tranche's notice date here (reported in March 2026; the day is an assumption).
SECOND_TRANCHE = dt.date(2026, 3, 31)
SPVS: tuple[ExampleSpv, ...] = (
    ExampleSpv(
        "OH-GAS",
        "Portsmouth, Ohio 9.2 GW gas-fired power plant (SB Energy)",
        "energy",
        ANNOUNCED,
        33_000.0,
        "Size: Reuters, 17 Feb 2026 ($33bn). Schedule illustrative.",
        8,
        4,
        25,
        0.20,
    ),
    ExampleSpv(
        "TX-CRUDE",
        "Texas GulfLink deepwater crude oil export terminal (Sentinel Midstream)",
        "energy",
        ANNOUNCED,
        2_100.0,
        "Size: Reuters, 17 Feb 2026 ($2.1bn). Schedule illustrative.",
        4,
        3,
        25,
        0.22,
    ),
    ExampleSpv(
        "GA-DIAMOND",
        "Synthetic industrial diamond grit plant, Georgia (Element Six)",
        "critical minerals",
        ANNOUNCED,
        600.0,
        "Size: NoCap Times, 20 Feb 2026 (~$600m). Schedule illustrative.",
        4,
        2,
        20,
        0.22,
    ),
    ExampleSpv(
        "CU-SMELT",
        "Copper smelting and refining facility",
        "metals",
        dt.date(2026, 4, 30),
        2_000.0,
        "Size: Reuters, 4 Mar 2026 ($2bn, under consideration). Notice and schedule illustrative.",
        6,
        3,
        25,
        0.18,
    ),
    ExampleSpv(
        "NUC-AP1000",
        "AP1000 reactors and SMRs (Westinghouse)",
        "energy",
        dt.date(2026, 6, 30),
        100_000.0,
        "Size: White House fact sheet, 28 Oct 2025 (up to $100bn). Notice, schedule and "
        "deemed-rate spread illustrative.",
        10,
        8,
        30,
        0.13,
        terms={"deemed_rate": 0.065},
    ),
    ExampleSpv(
        "AI-POWER",
        "Data-centre power systems (Mitsubishi Electric)",
        "AI and quantum computing",
        dt.date(2026, 9, 30),
        30_000.0,
        "Size: White House fact sheet, 28 Oct 2025 (up to $30bn). Notice and schedule illustrative.",
        8,
        3,
        20,
        0.22,
    ),
    ExampleSpv(
        "SEMI-COMP",
        "Advanced electronic components for chips (Murata Manufacturing)",
        "semiconductors",
        dt.date(2027, 1, 15),
        15_000.0,
        "Size: White House fact sheet, 28 Oct 2025 (up to $15bn). Notice and schedule illustrative.",
        6,
        3,
        20,
        0.20,
    ),
    ExampleSpv(
        "PHARMA-API",
        "Active pharmaceutical ingredients plant",
        "pharmaceuticals",
        dt.date(2027, 6, 30),
        3_000.0,
        "Size illustrative (no public figure). Funds 5% above commitment: a deliberate flag.",
        4,
        3,
        20,
        0.17,
        funded_factor=1.05,
    ),
    ExampleSpv(
        "SHIPYARD",
        "Commercial shipyard modernisation",
        "shipbuilding",
        dt.date(2028, 6, 30),
        4_000.0,
        "Size illustrative (no public figure). Last two tranches after the deadline: a deliberate flag.",
        4,
        3,
        25,
        0.15,
    ),
    ExampleSpv(
        "QUANTUM",
        "Quantum computing fabrication and test facility",
        "AI and quantum computing",
        dt.date(2027, 3, 31),
        1_000.0,
        "Size illustrative (no public figure). First funding 30 days "
        "after notice: a deliberate flag. A foreign partner holds 20% of Japan's side (illustrative).",
        4,
        4,
        15,
        0.12,
        first_funding_days=30,
        terms={"partner_share": 0.2},
    ),
    ExampleSpv(
        "TN-AL-SMR",
        "Small modular reactors in Tennessee and Alabama (GE Vernova Hitachi BWRX-300)",
        "energy",
        SECOND_TRANCHE,
        40_000.0,
        "Size: second tranche, reported March 2026 (about $40bn). Notice and schedule illustrative.",
        10,
        6,
        30,
        0.14,
    ),
    ExampleSpv(
        "PA-GAS",
        "Gas-fired power plant, Pennsylvania",
        "energy",
        SECOND_TRANCHE,
        6_000.0,
        "Second tranche, reported March 2026. Size, notice and schedule illustrative.",
        6,
        4,
        25,
        0.19,
    ),
    ExampleSpv(
        "TX-GAS",
        "Gas-fired power plant, Texas",
        "energy",
        SECOND_TRANCHE,
        4_000.0,
        "Second tranche, reported March 2026. Size, notice and schedule illustrative.",
        6,
        4,
        25,
        0.19,
    ),
)


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` later (clipped to the month's end)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def flows_of(spv: ExampleSpv) -> list[tuple[dt.date, float]]:
    """The example SPV's invented (date, value in $m) rows: fundings negative, distributions positive."""
    first = spv.notice + dt.timedelta(days=spv.first_funding_days)
    total = spv.committed * spv.funded_factor
    tranche = round(total / spv.tranches, 1)
    sizes = [tranche] * (spv.tranches - 1) + [round(total - tranche * (spv.tranches - 1), 1)]
    rows = [(_add_months(first, 3 * k), -size) for k, size in enumerate(sizes)]
    start = _add_months(first, 12 * spv.build_years)
    plateau = spv.cash_yield * spv.committed / 2.0
    for h in range(2 * spv.life):
        ramp = min(1.0, (h + 1) / 4.0)
        rows.append((_add_months(start, 6 * h), round(plateau * ramp * 1.015 ** (h // 2), 1)))
    return rows


def portfolio() -> Portfolio:
    """The example portfolio (money in $m), with :data:`TERMS` as its default terms."""
    return program_of(SPVS, unit=UNIT, terms=TERMS)


def program_of(
    spvs: Sequence[ExampleSpv], *, unit: str, terms: Terms, program: str | None = None
) -> Portfolio:
    """A :class:`Portfolio` of example SPVs: their table rows and their flows (:func:`flows_of`)."""
    spv_rows = []
    ids: list[str] = []
    dates: list[dt.date] = []
    values: list[float] = []
    for spv in spvs:
        spv_rows.append(
            {
                "id": spv.id,
                "name": spv.name,
                "sector": spv.sector,
                "notice_date": spv.notice,
                "committed": spv.committed,
                "comment": spv.source,
                **spv.terms,
            }
        )
        for when, value in flows_of(spv):
            ids.append(spv.id)
            dates.append(when)
            values.append(value)
    flows = {"spv_id": ids, "date": np.array(dates, dtype="datetime64[D]"), "value": np.array(values)}
    return Portfolio.from_tables(spv_rows, flows, unit=unit, terms=terms, program=program)
