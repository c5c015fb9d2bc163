"""xlspv: the cash-flow waterfall of a US-Japan strategic-investment SPV, for Python and Excel.

>>> import datetime as dt, xlspv
>>> s = xlspv.summary([-100, 60, 200], [dt.date(2025, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 1, 1)], 0.1)
>>> s.threshold_date
datetime.date(2027, 1, 1)
"""

from __future__ import annotations

from .errors import RateScheduleError, SpvError, SpvInputError, TermsError
from .returns import irr, npv, xnpv
from .terms import RateSchedule, Terms
from .waterfall import (
    Batch,
    BatchSummary,
    Summary,
    Waterfall,
    compute,
    summary,
    waterfall,
    waterfall_batch,
    waterfall_summary,
)
from .xirr import xirr, xirr_many

__version__ = "0.1.0"

__all__ = [
    "Batch",
    "BatchSummary",
    "RateSchedule",
    "RateScheduleError",
    "SpvError",
    "SpvInputError",
    "Summary",
    "Terms",
    "TermsError",
    "Waterfall",
    "compute",
    "irr",
    "npv",
    "summary",
    "waterfall",
    "waterfall_batch",
    "waterfall_summary",
    "xirr",
    "xirr_many",
    "xnpv",
    "__version__",
]
