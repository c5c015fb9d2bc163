"""The built-in Korean example program: illustrative SPVs under the Korea-US MOU of 14 November 2025.

It is **not** the real program: no SPV of it had been selected in the sources read, and every cash
flow, notice date and size below is invented unless a source is named. The MOU's own figures
(Korea-US Joint Fact Sheet, 14 November 2025; Yonhap and Korea JoongAng Daily reports of the MOU,
14-16 November 2025): $350 billion in all, $200 billion in cash by capital call, at most $20 billion
a year, and $150 billion of shipbuilding cooperation whose returns stay with Korean firms (the
program shows it outside the SPV waterfall, :data:`xlspv.portfolio.agreement.KOREA_2025`).

The SPVs are in the MOU's strategic sectors (shipbuilding, energy, semiconductors, pharmaceuticals,
critical minerals, AI and quantum computing). Deliberate flags, so the report shows how the Korean
rules look: fundings in 2027 add up to more than $20 billion (the yearly cap); the LNG SPV's first
funding is dated 45 calendar days but fewer than 45 US business days after its notice (the notice
runs across Thanksgiving and Christmas); the nuclear SPV recovers its deemed allocation more than 20
years after its first funding.

>>> p = portfolio()
>>> len(p), p.unit, p.program.name, round(float(p.committed.sum()))
(6, '$m', 'korea-2025', 41500)
"""

from __future__ import annotations

import datetime as dt

from ..portfolio.model import Portfolio
from ..terms import Terms
from .portfolio import ExampleSpv, program_of

UNIT = "$m"
PROGRAM = "korea-2025"
#: Default terms: six-month SOFR of about 4.0% plus a 1.5% spread (illustrative, as Japan's example).
TERMS = Terms(0.055)
NAME = "Example program: six illustrative SPVs under the Korea-US $350bn MOU"

SPVS: tuple[ExampleSpv, ...] = (
    ExampleSpv(
        "KR-LNG",
        "LNG export terminal and pipeline (illustrative)",
        "energy",
        dt.date(2026, 11, 16),
        8_000.0,
        "Size, notice and schedule illustrative. First funding 45 calendar days after notice, "
        "fewer than 45 US business days: a deliberate flag.",
        4,
        4,
        25,
        0.18,
        first_funding_days=45,
    ),
    ExampleSpv(
        "KR-NUC",
        "Nuclear power plant (illustrative)",
        "energy",
        dt.date(2026, 12, 15),
        12_000.0,
        "Size, notice and schedule illustrative. Slow to pay back: recovery after 20 years, a "
        "deliberate flag.",
        8,
        8,
        30,
        0.08,
        first_funding_days=90,
    ),
    ExampleSpv(
        "KR-CHIPS",
        "Semiconductor packaging plant (illustrative)",
        "semiconductors",
        dt.date(2027, 1, 20),
        9_000.0,
        "Size, notice and schedule illustrative; with KR-NUC and KR-LNG its fundings put 2027 over "
        "the $20bn yearly cap: a deliberate flag.",
        4,
        3,
        20,
        0.22,
        first_funding_days=90,
    ),
    ExampleSpv(
        "KR-MINERALS",
        "Critical-minerals smelter (illustrative)",
        "critical minerals",
        dt.date(2027, 9, 30),
        6_000.0,
        "Size, notice and schedule illustrative.",
        4,
        3,
        25,
        0.17,
        first_funding_days=90,
    ),
    ExampleSpv(
        "KR-PHARMA",
        "Biologics manufacturing plant (illustrative)",
        "pharmaceuticals",
        dt.date(2028, 3, 31),
        2_500.0,
        "Size, notice and schedule illustrative.",
        4,
        3,
        20,
        0.2,
        first_funding_days=90,
    ),
    ExampleSpv(
        "KR-NAVAL",
        "Naval and commercial shipyard capacity (illustrative)",
        "shipbuilding",
        dt.date(2028, 6, 30),
        4_000.0,
        "Size, notice and schedule illustrative: an SPV inside the cash program; the $150bn "
        "shipbuilding cooperation itself is outside the waterfall.",
        4,
        3,
        25,
        0.16,
        first_funding_days=90,
    ),
)


def portfolio() -> Portfolio:
    """The Korean example program (money in $m), :data:`TERMS` its default terms, ``korea-2025``."""
    return program_of(SPVS, unit=UNIT, terms=TERMS, program=PROGRAM)
