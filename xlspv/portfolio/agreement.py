"""The constants of the agreement the program view checks a portfolio against, in one place."""

from __future__ import annotations

import datetime as dt

# Source: the US-Japan Memorandum of Understanding on strategic investments, signed 4 September 2025,
# as summarised in docs/waterfall.md ("The agreement being modelled"): Japan funds up to
# $550 billion of selected US projects until 19 January 2029, each funding dated at least 45 days after
# Japan is notified of the selection; the named sectors are listed below.
#: The program cap, in US$ millions ($550 billion).
PROGRAM_CAP_USD_M = 550_000.0
#: Last day a funding may be dated (fundings after it are flagged).
FUNDING_DEADLINE = dt.date(2029, 1, 19)
#: Minimum days between the notice of selection and a funding.
MIN_NOTICE_DAYS = 45
#: The sectors the MOU names (an SPV in another sector is flagged, not refused).
NAMED_SECTORS = (
    "semiconductors",
    "pharmaceuticals",
    "metals",
    "critical minerals",
    "shipbuilding",
    "energy",
    "AI and quantum computing",
)

__all__ = ["FUNDING_DEADLINE", "MIN_NOTICE_DAYS", "NAMED_SECTORS", "PROGRAM_CAP_USD_M"]
