"""The built-in example: one illustrative SPV, used by ``make demo``, the template and the tests.

It is not a real project. Its size follows the scale of the energy and semiconductor projects named in
public announcements under the 2025 US-Japan investment agreement (tens of billions of dollars each);
its numbers are chosen to show every part of the waterfall: a funding period, a ramp-up, the threshold
inside a distribution row, and the 90/10 tail after it. Money is in US$ millions.
"""

from __future__ import annotations

import calendar
import datetime as dt

from ..terms import Terms

NAME = "Example SPV: advanced-node semiconductor fab (illustrative)"
UNIT = "$m"

#: Deemed rate: six-month SOFR (about 4.0% in late 2025) plus a 1.5% spread for a long, risky project.
TERMS = Terms(deemed_rate=0.055)


def _month_end(day: dt.date, months: int) -> dt.date:
    """The last day of the month ``months`` after ``day``'s month."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def flows() -> list[tuple[dt.date, float, str]]:
    """Rows of (date, value in $m, note): fundings negative, distributions positive."""
    rows: list[tuple[dt.date, float, str]] = []
    start = dt.date(2026, 3, 31)
    for q, funded in enumerate([1500, 2500, 3000, 3000, 2500, 2000, 1500, 1000]):
        rows.append((_month_end(start, 3 * q), -float(funded), f"Japan funding, tranche {q + 1}"))
    first = dt.date(2028, 12, 31)
    ramp = [200, 500, 900, 1400, 1800, 2100]
    for h in range(40):  # semiannual distributions for 20 years
        when = _month_end(first, 6 * h)
        amount = ramp[h] if h < len(ramp) else 2200 * (1.02 ** ((h - len(ramp)) // 2))
        note = "Distribution (ramp-up)" if h < len(ramp) else "Distribution"
        rows.append((when, round(amount, 1), note))
    return rows


def dates() -> list[dt.date]:
    return [d for d, _, _ in flows()]


def values() -> list[float]:
    return [v for _, v, _ in flows()]


def notes() -> list[str]:
    return [n for _, _, n in flows()]
