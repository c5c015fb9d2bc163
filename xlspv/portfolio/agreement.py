"""The programs a portfolio is checked against: each agreement's rules as a preset.

A *program* is the set of rules the program view checks: the cap (and any yearly cap), the funding
deadline, the notice rule (calendar or business days), and the recovery rules. Two presets:

``japan-2025`` (the default)
    The US-Japan Memorandum of Understanding on strategic investments, signed 4 September 2025:
    Japan funds up to $550 billion of selected US projects until 19 January 2029, each funding dated
    at least 45 days after Japan is notified of the selection (Japan's provisional translation of the
    MOU; St. Louis Fed, "Analyzing Japan's $550 Billion Pledge", November 2025).
``korea-2025``
    The Korea-US MOU of 14 November 2025: $350 billion, of which $200 billion in cash by capital
    call, at most $20 billion a year (Korea may ask to change timing or size if its currency market
    is disorderly), and $150 billion of shipbuilding cooperation whose returns stay with Korean firms
    (shown, outside the SPV waterfall); the same 50/50-then-90/10 split; funding at least 45 business
    days after notice; if Korea does not fund a selected project the US takes Korea's distributions
    until the unpaid amount is covered; the allocation "may be adjusted" if Korea is not expected to
    receive the deemed allocation within 20 years (the Joint Fact Sheet of 14 November 2025 and the
    MOU text as reported by Yonhap and the Korea JoongAng Daily, 14-16 November 2025).

Business days are counted on the US federal holiday calendar of
:class:`pandas.tseries.holiday.USFederalHolidayCalendar` (weekends and the eleven federal holidays,
observed dates), as :func:`business_days_after` says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import SpvInputError

#: The sectors the Japan MOU names (an SPV in another sector is flagged, not refused). The Korea MOU
#: names the same strategic sectors (shipbuilding, energy, semiconductors, pharmaceuticals, critical
#: minerals, AI and quantum computing).
NAMED_SECTORS = (
    "semiconductors",
    "pharmaceuticals",
    "metals",
    "critical minerals",
    "shipbuilding",
    "energy",
    "AI and quantum computing",
)

NOTICE_BASES = ("calendar", "business")


@dataclass(frozen=True)
class Program:
    """One agreement's rules, as the program view checks them (money in US$ millions).

    ``annual_cap_usd_m`` caps what is funded in any calendar year (``None``: no yearly cap);
    ``deadline`` is the last day a funding may be dated (``None``: none stated); ``notice_days`` and
    ``notice_basis`` ("calendar" or "business": US federal business days) the minimum gap between a
    notice and a funding; ``recovery_years`` flags an SPV whose deemed allocation is not recovered
    within that many years of its first funding (``None``: no such review);
    ``declined_funding_redirect`` says the agreement redirects the investor's distributions to the US
    after a declined funding; ``outside_waterfall_usd_m`` is money committed outside the SPVs (shown,
    not split).
    """

    name: str
    title: str
    investor: str
    cap_usd_m: float
    annual_cap_usd_m: float | None
    deadline: dt.date | None
    notice_days: int
    notice_basis: str
    recovery_years: int | None
    declined_funding_redirect: bool
    outside_waterfall_usd_m: float
    outside_waterfall_label: str
    sources: tuple[str, ...]

    def rules(self) -> list[tuple[str, str]]:
        """The program's rules in words, one (rule, value) pair a line, for a report's Cover."""
        rows = [
            ("Program", f"{self.name}: {self.title}"),
            ("Cash cap", f"${self.cap_usd_m / 1000:,.0f} billion funded by {self.investor}"),
        ]
        if self.annual_cap_usd_m is not None:
            rows.append(
                (
                    "Yearly cap",
                    f"at most ${self.annual_cap_usd_m / 1000:,.0f} billion funded in any "
                    "calendar year (checked year by year)",
                )
            )
        rows.append(("Funding deadline", f"{self.deadline:%d %B %Y}" if self.deadline else "none stated"))
        basis = "US federal business days" if self.notice_basis == "business" else "calendar days"
        rows.append(("Notice", f"each funding at least {self.notice_days} {basis} after the notice"))
        if self.recovery_years is not None:
            rows.append(
                (
                    "Recovery review",
                    f"flag an SPV whose deemed allocation is not recovered within "
                    f"{self.recovery_years} years of its first funding",
                )
            )
        if self.declined_funding_redirect:
            rows.append(
                (
                    "Declined funding",
                    f"the US takes {self.investor}'s distributions until the "
                    "unpaid amount is covered (a scenario, beside the base case)",
                )
            )
        if self.outside_waterfall_usd_m:
            rows.append(
                (
                    "Outside the waterfall",
                    f"${self.outside_waterfall_usd_m / 1000:,.0f} billion "
                    f"{self.outside_waterfall_label} (shown, not split)",
                )
            )
        rows.append(("Sources", "; ".join(self.sources)))
        return rows


JAPAN_2025 = Program(
    name="japan-2025",
    title="US-Japan MOU on strategic investments, 4 September 2025 ($550 billion)",
    investor="Japan",
    cap_usd_m=550_000.0,
    annual_cap_usd_m=None,
    deadline=dt.date(2029, 1, 19),
    notice_days=45,
    notice_basis="calendar",
    recovery_years=None,
    declined_funding_redirect=False,
    outside_waterfall_usd_m=0.0,
    outside_waterfall_label="",
    sources=(
        "US-Japan MOU, 4 Sep 2025 (Japan's provisional translation)",
        "Cabinet written answer to the House of Representatives, 28 Nov 2025",
        "St. Louis Fed, Analyzing Japan's $550 Billion Pledge, Nov 2025",
    ),
)

KOREA_2025 = Program(
    name="korea-2025",
    title="Korea-US MOU on strategic investments, 14 November 2025 ($350 billion)",
    investor="Korea",
    cap_usd_m=200_000.0,
    annual_cap_usd_m=20_000.0,
    deadline=None,
    notice_days=45,
    notice_basis="business",
    recovery_years=20,
    declined_funding_redirect=True,
    outside_waterfall_usd_m=150_000.0,
    outside_waterfall_label="of shipbuilding cooperation (returns stay with Korean firms)",
    sources=(
        "Korea-US Joint Fact Sheet and MOU, 14 Nov 2025",
        "Yonhap and Korea JoongAng Daily reports of the MOU text, 14-16 Nov 2025",
    ),
)

#: The presets by name; :data:`DEFAULT_PROGRAM` is the one used when none is named.
PROGRAMS: dict[str, Program] = {p.name: p for p in (JAPAN_2025, KOREA_2025)}
DEFAULT_PROGRAM = JAPAN_2025.name

# The Japan preset's constants under their earlier names (the program view read these before presets).
#: The program cap, in US$ millions ($550 billion).
PROGRAM_CAP_USD_M = JAPAN_2025.cap_usd_m
#: Last day a funding may be dated (fundings after it are flagged).
FUNDING_DEADLINE: dt.date = JAPAN_2025.deadline  # type: ignore[assignment]
#: Minimum days between the notice of selection and a funding.
MIN_NOTICE_DAYS = JAPAN_2025.notice_days


def get_program(name: object, where: str = "program") -> Program:
    """The preset named ``name`` (case and spaces ignored); an error naming ``where`` otherwise.

    >>> get_program("Korea-2025").annual_cap_usd_m
    20000.0
    """
    if isinstance(name, Program):
        return name
    key = str(name).strip().lower().replace(" ", "-").replace("_", "-") if isinstance(name, str) else None
    if key not in PROGRAMS:
        raise SpvInputError(f"{where}: {name!r} is not a program; use one of {', '.join(PROGRAMS)}.")
    return PROGRAMS[key]


@lru_cache(maxsize=1)
def federal_holidays() -> np.ndarray:
    """US federal holidays (observed dates) 1990-2100 as ``datetime64[D]``, from pandas' calendar."""
    from pandas.tseries.holiday import USFederalHolidayCalendar

    days = USFederalHolidayCalendar().holidays(start="1990-01-01", end="2100-12-31")
    return days.values.astype("datetime64[D]")


def business_days_after(notice_days: np.ndarray, funding_days: np.ndarray) -> np.ndarray:
    """US federal business days after each notice, up to and including the funding day.

    Counts the weekdays that are not federal holidays in ``(notice, funding]``; negative when the
    funding comes first. Inputs are date ordinals (``datetime.date.toordinal``).

    >>> import datetime as dt
    >>> # notice Thu 2 Jul 2026, funding Tue 7 Jul: Fri 3 Jul is Independence Day observed (4 Jul is a
    >>> # Saturday), then a weekend: Mon 6 and Tue 7 count
    >>> int(business_days_after(np.array([dt.date(2026, 7, 2).toordinal()]),
    ...                         np.array([dt.date(2026, 7, 7).toordinal()]))[0])
    2
    """
    from ..dates import NUMPY_EPOCH_ORDINAL

    begin = (np.asarray(notice_days, dtype=np.int64) - NUMPY_EPOCH_ORDINAL + 1).astype("datetime64[D]")
    end = (np.asarray(funding_days, dtype=np.int64) - NUMPY_EPOCH_ORDINAL + 1).astype("datetime64[D]")
    return np.busday_count(begin, end, holidays=federal_holidays())


def days_after_notice(program: Program, notice_days: np.ndarray, funding_days: np.ndarray) -> np.ndarray:
    """Days after notice by the program's rule: calendar days, or US federal business days."""
    if program.notice_basis == "business":
        return business_days_after(notice_days, funding_days)
    return np.asarray(funding_days, dtype=np.int64) - np.asarray(notice_days, dtype=np.int64)


__all__ = [
    "DEFAULT_PROGRAM",
    "FUNDING_DEADLINE",
    "JAPAN_2025",
    "KOREA_2025",
    "MIN_NOTICE_DAYS",
    "NAMED_SECTORS",
    "NOTICE_BASES",
    "PROGRAMS",
    "PROGRAM_CAP_USD_M",
    "Program",
    "business_days_after",
    "days_after_notice",
    "federal_holidays",
    "get_program",
]
